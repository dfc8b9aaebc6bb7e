using PaddleX.Cloud.Vision.Models.Segmentation;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Export;

/// <summary>
/// Writes a segmentation network of <see cref="SegmentationModels"/> as ONNX (IR 8, opset 17). Input
/// <c>image</c> [N, bands, H, W] float (normalised); outputs <c>logits</c> [N, C, H, W] float,
/// <c>label_map</c> [N, H, W] int64 (arg-max over C) and <c>probabilities</c> [N, C, H, W] (softmax over C).
/// N is always dynamic; H and W are dynamic unless the network pools to fixed bins (FastSCNN's pyramid
/// pooling), in which case the graph is written for the given input size.
/// </summary>
public static class SegmentationOnnxExporter
{
    public const string InputName = "image";
    public const string LogitsName = "logits";
    public const string LabelMapName = "label_map";
    public const string ProbabilitiesName = "probabilities";

    /// <summary>The ONNX bytes of an eval-mode segmentation model.</summary>
    /// <param name="inputSize">[width, height] the graph is written for when the model needs a fixed size.</param>
    public static byte[] Export(nn.Module<Tensor, Tensor> model, string modelName, int numClasses, int inChannels, int[] inputSize, OnnxWeights weights = OnnxWeights.Float32, IReadOnlyDictionary<string, string>? metadata = null, string task = "segmentation")
    {
        if (model is not IOnnxExportable exportable)
        {
            throw new NotSupportedException($"ONNX export: {modelName} does not describe its graph");
        }

        var fixedSize = model is IFixedSizeExport;
        if (model is IFixedSizeExport fixedModel)
        {
            fixedModel.ExportSize = (inputSize[1], inputSize[0]);
        }

        var g = new OnnxGraph("paddlex_cloud_segmenter", weights);
        using (no_grad())
        {
            var x = exportable.EmitOnnx(g, InputName);
            g.Output(LogitsName, "Identity", x);
            g.Output(LabelMapName, "ArgMax", LogitsName, OnnxGraph.Attr("axis", 1L), OnnxGraph.Attr("keepdims", 0L));
            g.Output(ProbabilitiesName, "Softmax", LogitsName, OnnxGraph.Attr("axis", 1L));
        }

        object h = fixedSize ? (long)inputSize[1] : "H", w = fixedSize ? (long)inputSize[0] : "W";
        g.Input(InputName, ["N", (long)inChannels, h, w]);
        g.DeclareOutput(LogitsName, ["N", (long)numClasses, h, w]);
        g.DeclareOutput(LabelMapName, ["N", h, w], Onnx.TensorProto.Types.DataType.Int64);
        g.DeclareOutput(ProbabilitiesName, ["N", (long)numClasses, h, w]);
        var props = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["model"] = modelName,
            ["task"] = task,
            ["dynamic_size"] = fixedSize ? "false" : "true",
        };
        return g.ToBytes($"{modelName} segmenter exported from TorchSharp weights", props);
    }
}
