using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using PaddleX.Cloud.Vision.Export.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Export;

/// <summary>Weight storage of the exported graph: float32, or float16 (the compact "lite" model; each
/// weight is cast back to float32 inside the graph, so the arithmetic stays float32).</summary>
public enum OnnxWeights
{
    Float32,
    Float16,
}

/// <summary>
/// Writes a trained classification network (ResNet18/34/50, MobileNetV2, MobileNetV3 small/large) as an
/// ONNX model (IR 8, opset 17) from its TorchSharp weights, in eval-mode semantics: BatchNorm is folded
/// into the preceding convolution, Dropout is omitted. Input <c>image</c> [N,3,H,W] float (already
/// normalised), outputs <c>logits</c> and <c>probabilities</c> (softmax) [N,C]; N, H and W are dynamic.
/// </summary>
public sealed class OnnxExporter
{
    public const int Opset = 17;
    public const string InputName = "image";
    public const string LogitsName = "logits";
    public const string ProbabilitiesName = "probabilities";

    private readonly GraphProto graph = new() { Name = "paddlex_cloud_classifier" };
    private readonly OnnxWeights weights;
    private int counter;

    private OnnxExporter(OnnxWeights weights) => this.weights = weights;

    /// <summary>The ONNX bytes of <paramref name="model"/> (any of the registry's classification models).</summary>
    public static byte[] Export(nn.Module model, string modelName, int numClasses, OnnxWeights weights = OnnxWeights.Float32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var exporter = new OnnxExporter(weights);
        using (no_grad())
        {
            var x = InputName;
            var children = Children(model);
            if (children.ContainsKey("layer1"))
            {
                x = exporter.ResNet(children, x);
            }
            else if (children.ContainsKey("features"))
            {
                x = exporter.Container(children["features"], x);
                x = exporter.Node("GlobalAveragePool", [x]);
                x = exporter.Node("Flatten", [x], Attr("axis", 1));
                x = exporter.Container(children["classifier"], x);
            }
            else
            {
                throw new NotSupportedException($"ONNX export does not know the structure of {modelName}");
            }

            exporter.graph.Node.Add(new NodeProto { OpType = "Identity", Input = { x }, Output = { LogitsName }, Name = "logits" });
            exporter.graph.Node.Add(new NodeProto { OpType = "Softmax", Input = { LogitsName }, Output = { ProbabilitiesName }, Name = "softmax", Attribute = { Attr("axis", 1) } });
        }

        var g = exporter.graph;
        g.Input.Add(Value(InputName, ["N", 3L, "H", "W"]));
        g.Output.Add(Value(LogitsName, ["N", (long)numClasses]));
        g.Output.Add(Value(ProbabilitiesName, ["N", (long)numClasses]));
        var proto = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "PaddleX.Cloud",
            ProducerVersion = "1.0",
            Domain = "paddlex.cloud",
            ModelVersion = 1,
            DocString = $"{modelName} classifier exported from TorchSharp weights",
            Graph = g,
            OpsetImport = { new OperatorSetIdProto { Domain = string.Empty, Version = Opset } },
        };
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "model", Value = modelName });
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return proto.ToByteArray();
    }

    private static Dictionary<string, nn.Module> Children(nn.Module m) =>
        m.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);

    private string ResNet(Dictionary<string, nn.Module> c, string x)
    {
        x = ConvBn((Conv2d)c["conv1"], (BatchNorm2d)c["bn1"], x);
        x = Node("Relu", [x]);
        x = Node("MaxPool", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        for (var layer = 1; c.ContainsKey($"layer{layer}"); layer++)
        {
            foreach (var (_, block) in c[$"layer{layer}"].named_children())
            {
                var b = Children(block);
                var identity = x;
                var y = x;
                var last = b.ContainsKey("conv3") ? 3 : 2;
                for (var i = 1; i <= last; i++)
                {
                    y = ConvBn((Conv2d)b[$"conv{i}"], (BatchNorm2d)b[$"bn{i}"], y);
                    if (i < last)
                    {
                        y = Node("Relu", [y]);
                    }
                }

                if (b.TryGetValue("downsample", out var down) && down.named_children().Any())
                {
                    var d = down.named_children().Select(p => p.module).ToList();
                    identity = ConvBn((Conv2d)d[0], (BatchNorm2d)d[1], x);
                }

                x = Node("Relu", [Node("Add", [y, identity])]);
            }
        }

        x = Node("GlobalAveragePool", [x]);
        x = Node("Flatten", [x], Attr("axis", 1));
        return Linear((Linear)c["fc"], x);
    }

    /// <summary>Runs a container's children in order; a convolution followed by BatchNorm is folded.</summary>
    private string Container(nn.Module container, string x)
    {
        var children = container.named_children().Select(p => p.module).ToList();
        if (children.Count == 0)
        {
            return Leaf(container, x);
        }

        var type = container.GetType().Name;
        if (type.Contains("SqueezeExcitation", StringComparison.Ordinal))
        {
            return SqueezeExcitation(Children(container), x);
        }

        var input = x;
        for (var i = 0; i < children.Count; i++)
        {
            if (children[i] is Conv2d conv)
            {
                x = i + 1 < children.Count && children[i + 1] is BatchNorm2d bn ? ConvBn(conv, bn, x) : Conv(conv, null, x);
                if (i + 1 < children.Count && children[i + 1] is BatchNorm2d)
                {
                    i++;
                }
            }
            else
            {
                x = Container(children[i], x);
            }
        }

        if (type.Contains("InvertedResidual", StringComparison.Ordinal) && IsResidual(container))
        {
            x = Node("Add", [x, input]);
        }

        return x;
    }

    /// <summary>An inverted residual adds its input when it keeps the shape: stride 1 everywhere and
    /// the same channel count in and out (torchvision's use_res_connect).</summary>
    private static bool IsResidual(nn.Module block)
    {
        var convs = DepthFirst(block).OfType<Conv2d>().ToList();
        return convs.Count > 0 && convs.All(c => c.stride.All(s => s == 1)) && convs[0].in_channels == convs[^1].out_channels;
    }

    /// <summary>Leaf modules in execution (registration, depth-first) order, not entering squeeze-excitation
    /// blocks (named_modules is breadth-first).</summary>
    private static IEnumerable<nn.Module> DepthFirst(nn.Module m)
    {
        var children = m.named_children().Select(p => p.module).ToList();
        if (children.Count == 0)
        {
            yield return m;
            yield break;
        }

        if (m.GetType().Name.Contains("SqueezeExcitation", StringComparison.Ordinal))
        {
            yield break;
        }

        foreach (var leaf in children.SelectMany(DepthFirst))
        {
            yield return leaf;
        }
    }

    private string SqueezeExcitation(Dictionary<string, nn.Module> c, string x)
    {
        var s = Node("GlobalAveragePool", [x]);
        s = Conv((Conv2d)c["fc1"], null, s);
        s = Leaf(c["activation"], s);
        s = Conv((Conv2d)c["fc2"], null, s);
        s = Leaf(c["scale_activation"], s);
        return Node("Mul", [x, s]);
    }

    private string Leaf(nn.Module m, string x) => m switch
    {
        Conv2d conv => Conv(conv, null, x),
        Linear linear => Linear(linear, x),
        ReLU => Node("Relu", [x]),
        ReLU6 => Node("Clip", [x, Scalar(0f), Scalar(6f)]),
        Hardtanh h => Node("Clip", [x, Scalar((float)h.min_val), Scalar((float)h.max_val)]),
        Hardswish => Node("HardSwish", [x]),
        Hardsigmoid => Node("HardSigmoid", [x], Attr("alpha", 1f / 6f), Attr("beta", 0.5f)),
        Dropout or Identity => x,
        AdaptiveAvgPool2d => Node("GlobalAveragePool", [x]),
        Flatten => Node("Flatten", [x], Attr("axis", 1)),
        _ => throw new NotSupportedException($"ONNX export: unsupported layer {m.GetType().Name}"),
    };

    private string ConvBn(Conv2d conv, BatchNorm2d bn, string x)
    {
        var w = conv.weight!.detach().to(float64);
        var outChannels = w.shape[0];
        var bias = conv.bias is null ? zeros(outChannels, float64) : conv.bias.detach().to(float64);
        var scale = bn.weight!.detach().to(float64) / (bn.running_var!.to(float64) + bn.eps).sqrt();
        var foldedW = w * scale.reshape(outChannels, 1, 1, 1);
        var foldedB = ((bias - bn.running_mean!.to(float64)) * scale) + bn.bias!.detach().to(float64);
        return ConvNode(conv, foldedW.to(float32), foldedB.to(float32), x);
    }

    private string Conv(Conv2d conv, Tensor? _, string x) =>
        ConvNode(conv, conv.weight!.detach(), conv.bias?.detach(), x);

    private string ConvNode(Conv2d conv, Tensor w, Tensor? b, string x)
    {
        var inputs = new List<string> { x, Initializer(w) };
        if (b is not null)
        {
            inputs.Add(Initializer(b));
        }

        var k = w.shape[2..];
        var pads = conv.padding ?? throw new NotSupportedException("ONNX export: string padding modes are not supported");
        return Node(
            "Conv",
            inputs,
            Ints("kernel_shape", k),
            Ints("strides", conv.stride),
            Ints("pads", pads[0], pads[1], pads[0], pads[1]),
            Ints("dilations", conv.dilation),
            Attr("group", conv.groups));
    }

    private string Linear(Linear linear, string x)
    {
        var inputs = new List<string> { x, Initializer(linear.weight!.detach()) };
        if (linear.bias is not null)
        {
            inputs.Add(Initializer(linear.bias.detach()));
        }

        return Node("Gemm", inputs, Attr("transB", 1L));
    }

    private string Scalar(float value)
    {
        var name = $"const_{counter++}";
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.FloatData.Add(value);
        graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A weight as an initializer (float32, or float16 plus a Cast back to float32).</summary>
    private string Initializer(Tensor t)
    {
        var name = $"w_{counter++}";
        var contiguous = t.to(float32).contiguous().cpu();
        var dims = contiguous.shape;
        if (weights == OnnxWeights.Float16)
        {
            var half = contiguous.to(float16).data<Half>().ToArray();
            var tensor = new TensorProto { Name = name + "_fp16", DataType = (int)TensorProto.Types.DataType.Float16, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(half.AsSpan())) };
            tensor.Dims.Add(dims);
            graph.Initializer.Add(tensor);
            graph.Node.Add(new NodeProto { OpType = "Cast", Input = { name + "_fp16" }, Output = { name }, Name = "cast_" + name, Attribute = { Attr("to", (long)TensorProto.Types.DataType.Float) } });
            return name;
        }

        var data = contiguous.data<float>().ToArray();
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())) };
        proto.Dims.Add(dims);
        graph.Initializer.Add(proto);
        return name;
    }

    private string Node(string op, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var output = $"{op.ToLowerInvariant()}_{counter++}";
        var node = new NodeProto { OpType = op, Name = output, Output = { output } };
        node.Input.Add(inputs);
        node.Attribute.Add(attributes);
        graph.Node.Add(node);
        return output;
    }

    private static AttributeProto Attr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Attr(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    private static ValueInfoProto Value(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string p ? new TensorShapeProto.Types.Dimension { DimParam = p } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
