using Google.Protobuf;
using PaddleX.Cloud.Vision.Export.Onnx;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Models;

/// <summary>
/// Imports the ImageNet-trained ResNet18 that ships as ONNX in the NuGet package
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (a CNTK 2.6 export) into torchvision's ResNet state-dict
/// names. Every initializer is mapped, following the graph: the 7×7 stem convolution, then per residual block
/// (closed by its <c>Add</c>) the 3×3 convolutions as <c>conv1</c>/<c>conv2</c> and a 1×1 one as
/// <c>downsample.0</c>; each convolution's BatchNormalization gives <c>bn*</c> / <c>downsample.1</c>.
/// <para>Against torchvision's ResNet18: the shortcuts are the same (1×1 stride-2 projection with BatchNorm where
/// the shape changes), convolutions have no bias, BatchNorm epsilon is 1e-5; but the last stage has three blocks,
/// not two (<see cref="Classification.ClassificationModels.CntkLayout"/>), and CNTK pads stride-2 layers only at
/// the start (3 before and 2 after for the stem, 1 and 0 for the max pool and the 3×3 stride-2 convolutions) where
/// torchvision pads symmetrically. The two paddings give the same windows whenever the input side of a stride-2
/// layer is even — every multiple of 32, 224 included — so torchvision's symmetric padding is kept (and the ONNX
/// export stays as it is); at other sizes the sampling grid is shifted by one pixel.</para>
/// </summary>
public static class ResNet18OnnxImport
{
    /// <summary>Name of the ONNX input and of the pooled feature output in the packaged model.</summary>
    public const string InputName = "Input247";
    public const string FeatureName = "Pooling395_Output_0";

    /// <summary>The BGR per-channel averages of the packaged preprocessing's mean image (<c>ResNetPreprocess.onnx</c>).</summary>
    private const string MeanImageName = "MeanImage";

    /// <summary>The residual blocks in graph order: two per stage, three in the last (<see cref="Classification.ClassificationModels.CntkLayout"/>).</summary>
    private static readonly string[] Stages =
        ["layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1", "layer4.0", "layer4.1", "layer4.2"];

    /// <summary>The raw weights: the network as CNTK trained it (input BGR in [0, 255] minus the mean image).</summary>
    public static Dictionary<string, Tensor> ReadRaw(string onnxFile)
    {
        GraphProto graph = Load(onnxFile).Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var producedBy = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
        {
            foreach (string output in node.Output)
            {
                producedBy[output] = node;
            }
        }

        var names = new Dictionary<string, string>(StringComparer.Ordinal); // initializer → torchvision key
        var pending = new List<NodeProto>(); // the current block's BatchNormalization nodes, in order
        int block = 0;
        bool stem = false;
        foreach (NodeProto node in graph.Node)
        {
            switch (node.OpType)
            {
                case "BatchNormalization":
                    NodeProto conv = producedBy[node.Input[0]];
                    if (conv.OpType != "Conv")
                    {
                        throw new InvalidDataException($"{onnxFile}: BatchNormalization {node.Name} does not follow a convolution");
                    }

                    if (!stem)
                    {
                        Name(conv, node, "conv1", "bn1");
                        stem = true;
                    }
                    else
                    {
                        pending.Add(node);
                    }

                    break;
                case "Add":
                    if (block >= Stages.Length)
                    {
                        throw new InvalidDataException($"{onnxFile}: more than the {Stages.Length} residual blocks of the packaged ResNet18");
                    }

                    string prefix = Stages[block];
                    int k = 0;
                    foreach (NodeProto bn in pending)
                    {
                        NodeProto c = producedBy[bn.Input[0]];
                        long kernel = initializers[c.Input[1]].Dims[2];
                        if (kernel == 1)
                        {
                            Name(c, bn, $"{prefix}.downsample.0", $"{prefix}.downsample.1");
                        }
                        else
                        {
                            k++;
                            Name(c, bn, $"{prefix}.conv{k}", $"{prefix}.bn{k}");
                        }
                    }

                    pending.Clear();
                    block++;
                    break;
            }
        }

        if (block != Stages.Length || pending.Count != 0 || names.Count != initializers.Count)
        {
            throw new InvalidDataException($"{onnxFile}: not the packaged ResNet18 ({block} residual blocks, {names.Count} of {initializers.Count} initializers mapped)");
        }

        return names.ToDictionary(kv => kv.Value, kv => ToTensor(initializers[kv.Key]), StringComparer.Ordinal);

        void Name(NodeProto conv, NodeProto bn, string convKey, string bnKey)
        {
            names[conv.Input[1]] = convKey + ".weight";
            names[bn.Input[1]] = bnKey + ".weight";
            names[bn.Input[2]] = bnKey + ".bias";
            names[bn.Input[3]] = bnKey + ".running_mean";
            names[bn.Input[4]] = bnKey + ".running_var";
        }
    }

    /// <summary>
    /// The weights for this engine's input convention — RGB, <c>(pixel / 255 − mean) / std</c> — so that
    /// fine-tuning with those mean/std sees what CNTK trained on: the stem convolution takes the channels in
    /// reverse order, scaled by <c>255·std</c>, and the offset <c>255·mean − meanImage</c> (per-channel averages
    /// of the packaged mean image) is folded into <c>bn1.running_mean</c> (exact away from the zero-padded border).
    /// </summary>
    public static Dictionary<string, Tensor> ForNormalizedRgb(Dictionary<string, Tensor> raw, IReadOnlyList<double> bgrMeanPixel, IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        var result = new Dictionary<string, Tensor>(raw, StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        Tensor w = raw["conv1.weight"].flip(1); // [64, 3 (BGR→RGB), 7, 7]
        Tensor scale = tensor(std.Select(s => (float)(255 * s)).ToArray()).view(1, 3, 1, 1);
        Tensor offset = tensor(Enumerable.Range(0, 3).Select(c => (float)(255 * mean[c] - bgrMeanPixel[2 - c])).ToArray()).view(1, 3, 1, 1);
        Tensor delta = (w * offset).sum([1, 2, 3]);
        result["conv1.weight"] = (w * scale).contiguous().MoveToOuterDisposeScope();
        result["bn1.running_mean"] = (raw["bn1.running_mean"] - delta).MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>
    /// <see cref="ReadRaw"/> then <see cref="ForNormalizedRgb"/> with the mean image of <paramref name="preprocessOnnx"/>
    /// and PaddleX's recommended ImageNet mean/std (<see cref="BuiltInWeights.ImageMean"/>, <see cref="BuiltInWeights.ImageStd"/>).
    /// </summary>
    public static Dictionary<string, Tensor> ReadForNormalizedRgb(string onnxFile, string preprocessOnnx)
    {
        Dictionary<string, Tensor> raw = ReadRaw(onnxFile);
        Dictionary<string, Tensor> converted = ForNormalizedRgb(raw, ReadMeanPixel(preprocessOnnx), BuiltInWeights.ImageMean, BuiltInWeights.ImageStd);
        foreach (var (name, t) in raw)
        {
            if (!ReferenceEquals(converted[name], t))
            {
                t.Dispose();
            }
        }

        return converted;
    }

    /// <summary>The BGR per-channel averages of <c>MeanImage</c> in the packaged preprocessing model.</summary>
    public static double[] ReadMeanPixel(string preprocessOnnx)
    {
        TensorProto mean = Load(preprocessOnnx).Graph.Initializer.FirstOrDefault(t => t.Name == MeanImageName)
            ?? throw new InvalidDataException($"{preprocessOnnx}: no {MeanImageName} initializer");
        using Tensor t = ToTensor(mean);
        using Tensor perChannel = t.to_type(ScalarType.Float64).mean([0, 2, 3]);
        return perChannel.data<double>().ToArray();
    }

    private static ModelProto Load(string file)
    {
        using FileStream stream = File.OpenRead(file);
        return ModelProto.Parser.WithDiscardUnknownFields(true).ParseFrom(CodedInputStream.CreateWithLimits(stream, int.MaxValue, 100));
    }

    private static Tensor ToTensor(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new InvalidDataException($"initializer {t.Name}: data type {t.DataType}, expected float");
        }

        float[] data = t.RawData.Length > 0
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray()
            : t.FloatData.ToArray();
        long[] dims = t.Dims.ToArray();
        if (data.LongLength != dims.Aggregate(1L, (a, b) => a * b))
        {
            throw new InvalidDataException($"initializer {t.Name}: {data.Length} values for shape [{string.Join(",", dims)}]");
        }

        return tensor(data, dims);
    }
}
