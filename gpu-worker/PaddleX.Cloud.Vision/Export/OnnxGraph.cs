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
/// Builds an ONNX graph (IR 8, opset 17) from TorchSharp modules in eval-mode semantics: BatchNorm is
/// folded into the preceding convolution, Dropout is omitted. <see cref="Module"/> dispatches a module to
/// its emitter: <see cref="IOnnxExportable"/> blocks write themselves, containers run their children in
/// order, and the common layers (convolution, linear, activations, pooling) have emitters here.
/// </summary>
public sealed class OnnxGraph
{
    public const int Opset = 17;
    public const int IrVersion = 8;

    private readonly GraphProto graph;
    private readonly OnnxWeights weights;
    private int counter;

    public OnnxGraph(string name, OnnxWeights weights)
    {
        graph = new GraphProto { Name = name };
        this.weights = weights;
    }

    /// <summary>Emits any supported module; throws <see cref="NotSupportedException"/> naming an unknown layer.</summary>
    public string Module(nn.Module m, string x)
    {
        if (m is IOnnxExportable custom)
        {
            return custom.EmitOnnx(this, x);
        }

        var children = m.named_children().Select(p => p.module).ToList();
        return children.Count == 0 ? Leaf(m, x) : Sequence(children, x);
    }

    /// <summary>Runs modules in order; a convolution directly followed by BatchNorm is folded into one Conv.</summary>
    public string Sequence(IReadOnlyList<nn.Module> modules, string x)
    {
        for (var i = 0; i < modules.Count; i++)
        {
            if (modules[i] is Conv2d conv && i + 1 < modules.Count && modules[i + 1] is BatchNorm2d bn)
            {
                x = ConvBn(conv, bn, x);
                i++;
            }
            else
            {
                x = Module(modules[i], x);
            }
        }

        return x;
    }

    public string Leaf(nn.Module m, string x) => m switch
    {
        Conv2d conv => Conv(conv, x),
        ConvTranspose2d deconv => ConvTranspose(deconv, x),
        BatchNorm2d bn => BatchNorm(bn, x),
        Linear linear => Linear(linear, x),
        ReLU => Node("Relu", [x]),
        ReLU6 => Node("Clip", [x, Scalar(0f), Scalar(6f)]),
        Hardtanh h => Node("Clip", [x, Scalar((float)h.min_val), Scalar((float)h.max_val)]),
        Hardswish => Node("HardSwish", [x]),
        Hardsigmoid => Node("HardSigmoid", [x], Attr("alpha", 1f / 6f), Attr("beta", 0.5f)),
        TorchSharp.Modules.Sigmoid => Node("Sigmoid", [x]),
        Dropout or Dropout2d or Identity => x,
        AdaptiveAvgPool2d => Node("GlobalAveragePool", [x]),
        Flatten => Node("Flatten", [x], Attr("axis", 1)),
        _ => throw new NotSupportedException($"ONNX export: unsupported layer {m.GetType().Name}"),
    };

    /// <summary>A convolution with the following BatchNorm folded in (weights and bias in float64, then float32).</summary>
    public string ConvBn(Conv2d conv, BatchNorm2d? bn, string x)
    {
        if (bn is null)
        {
            return Conv(conv, x);
        }

        using var scope = NewDisposeScope();
        var w = conv.weight!.detach().to(float64);
        var outChannels = w.shape[0];
        var bias = conv.bias is null ? zeros(outChannels, float64) : conv.bias.detach().to(float64);
        var (scale, shift) = BnAffine(bn);
        var foldedW = w * scale.reshape(outChannels, 1, 1, 1);
        var foldedB = (bias * scale) + shift;
        return ConvNode(conv, foldedW.to(float32), foldedB.to(float32), x);
    }

    public string Conv(Conv2d conv, string x) => ConvNode(conv, conv.weight!.detach(), conv.bias?.detach(), x);

    /// <summary>A transposed convolution (weight [in, out/groups, kH, kW] as ONNX's).</summary>
    public string ConvTranspose(ConvTranspose2d conv, string x)
    {
        var inputs = new List<string> { x, Initializer(conv.weight!.detach()) };
        if (conv.bias is not null)
        {
            inputs.Add(Initializer(conv.bias.detach()));
        }

        var pads = conv.padding ?? throw new NotSupportedException("ONNX export: string padding modes are not supported");
        return Node(
            "ConvTranspose",
            inputs,
            Ints("kernel_shape", conv.weight!.shape[2..]),
            Ints("strides", conv.stride),
            Ints("pads", pads[0], pads[1], pads[0], pads[1]),
            Ints("output_padding", conv.output_padding),
            Ints("dilations", conv.dilation),
            Attr("group", conv.groups));
    }

    /// <summary>A BatchNorm on its own (not after a convolution): y = x·scale + shift per channel.</summary>
    public string BatchNorm(BatchNorm2d bn, string x)
    {
        using var scope = NewDisposeScope();
        var (scale, shift) = BnAffine(bn);
        var c = scale.shape[0];
        return Node("Add", [Node("Mul", [x, Initializer(scale.to(float32).reshape(1, c, 1, 1))]), Initializer(shift.to(float32).reshape(1, c, 1, 1))]);
    }

    public string Linear(Linear linear, string x)
    {
        var inputs = new List<string> { x, Initializer(linear.weight!.detach()) };
        if (linear.bias is not null)
        {
            inputs.Add(Initializer(linear.bias.detach()));
        }

        return Node("Gemm", inputs, Attr("transB", 1L));
    }

    public string MaxPool(string x, long kernel, long stride, long padding) =>
        Node("MaxPool", [x], Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", padding, padding, padding, padding));

    public string AveragePool(string x, long kernel, long stride, long padding, bool countIncludePad) =>
        Node("AveragePool", [x], Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", padding, padding, padding, padding), Attr("count_include_pad", countIncludePad ? 1L : 0L));

    /// <summary>PyTorch's adaptive average pooling to <paramref name="bins"/>×<paramref name="bins"/> for a
    /// known input size: cell i covers [floor(i·H/bins), ceil((i+1)·H/bins)), which one AveragePool cannot
    /// express when the size is not a multiple of the bins, so each cell is a Slice + ReduceMean.</summary>
    public string AdaptiveAveragePool(string x, long height, long width, long bins)
    {
        if (bins == 1)
        {
            return Node("GlobalAveragePool", [x]);
        }

        var rows = new List<string>();
        for (long i = 0; i < bins; i++)
        {
            var row = Node("Slice", [x, Longs(i * height / bins), Longs(((i + 1) * height + bins - 1) / bins), Longs(2)]);
            row = Node("ReduceMean", [row], Ints("axes", 2), Attr("keepdims", 1L));
            var cells = new List<string>();
            for (long j = 0; j < bins; j++)
            {
                var cell = Node("Slice", [row, Longs(j * width / bins), Longs(((j + 1) * width + bins - 1) / bins), Longs(3)]);
                cells.Add(Node("ReduceMean", [cell], Ints("axes", 3), Attr("keepdims", 1L)));
            }

            rows.Add(Node("Concat", cells, Attr("axis", 3L)));
        }

        return Node("Concat", rows, Attr("axis", 2L));
    }

    public string Mul(string a, string b) => Node("Mul", [a, b]);

    public string Sigmoid(string x) => Node("Sigmoid", [x]);

    public string GlobalAveragePool(string x) => Node("GlobalAveragePool", [x]);

    /// <summary>Bilinear resize of <paramref name="x"/> to the spatial size of <paramref name="reference"/>,
    /// as PyTorch's <c>interpolate(mode: bilinear, align_corners: false)</c> (half-pixel centres).</summary>
    public string ResizeLike(string x, string reference)
    {
        var batchAndChannels = Node("Slice", [Node("Shape", [x]), Longs(0), Longs(2)]);
        var spatial = Node("Slice", [Node("Shape", [reference]), Longs(2), Longs(4)]);
        var sizes = Node("Concat", [batchAndChannels, spatial], Attr("axis", 0L));
        return Node("Resize", [x, string.Empty, string.Empty, sizes], Attr("mode", "linear"), Attr("coordinate_transformation_mode", "half_pixel"));
    }

    public string Concat(IEnumerable<string> inputs) => Node("Concat", inputs, Attr("axis", 1L));

    public string Add(string a, string b) => Node("Add", [a, b]);

    public string Relu(string x) => Node("Relu", [x]);

    /// <summary>An output under a fixed name (an Identity or the given op writing <paramref name="name"/>).</summary>
    internal void Output(string name, string op, string x, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Input = { x }, Output = { name }, Name = name };
        node.Attribute.Add(attributes);
        graph.Node.Add(node);
    }

    internal string Node(string op, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var output = $"{op.ToLowerInvariant()}_{counter++}";
        var node = new NodeProto { OpType = op, Name = output, Output = { output } };
        node.Input.Add(inputs);
        node.Attribute.Add(attributes);
        graph.Node.Add(node);
        return output;
    }

    /// <summary>A node with several outputs (TopK's values and indices, …); returns their names in order.</summary>
    internal string[] Nodes(string op, IEnumerable<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        var name = $"{op.ToLowerInvariant()}_{counter++}";
        var names = Enumerable.Range(0, outputs).Select(i => $"{name}_{i}").ToArray();
        var node = new NodeProto { OpType = op, Name = name };
        node.Output.Add(names);
        node.Input.Add(inputs);
        node.Attribute.Add(attributes);
        graph.Node.Add(node);
        return names;
    }

    public string Scalar(float value)
    {
        var name = $"const_{counter++}";
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.FloatData.Add(value);
        graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A 1-D int64 constant (shapes, axes, slice bounds): never stored as float16.</summary>
    public string Longs(params long[] values)
    {
        var name = $"const_{counter++}";
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.Add(values);
        graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A float32 constant of the given shape (grids, anchors, scales): kept float32 in float16 exports too.</summary>
    public string Floats(long[] shape, float[] values)
    {
        var name = $"const_{counter++}";
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.Add(shape);
        t.FloatData.Add(values);
        graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A 1-D float32 constant (e.g. Resize scales).</summary>
    public string Floats(params float[] values) => Floats([values.Length], values);

    /// <summary>A weight as an initializer (float32, or float16 plus a Cast back to float32).</summary>
    public string Initializer(Tensor t)
    {
        var name = $"w_{counter++}";
        using var contiguous = t.detach().to(float32).contiguous().cpu();
        var dims = contiguous.shape;
        if (weights == OnnxWeights.Float16)
        {
            using var halfTensor = contiguous.to(float16);
            var half = halfTensor.data<Half>().ToArray();
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

    /// <summary>Declares a graph input or output; a dimension is a number or a symbolic (dynamic) name.</summary>
    public void Input(string name, object[] dims) => graph.Input.Add(Value(name, dims, TensorProto.Types.DataType.Float));

    internal void DeclareOutput(string name, object[] dims, TensorProto.Types.DataType type = TensorProto.Types.DataType.Float) =>
        graph.Output.Add(Value(name, dims, type));

    /// <summary>The serialised model with the given doc string and metadata properties.</summary>
    public byte[] ToBytes(string docString, IReadOnlyDictionary<string, string> metadata)
    {
        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "PaddleX.Cloud",
            ProducerVersion = "1.0",
            Domain = "paddlex.cloud",
            ModelVersion = 1,
            DocString = docString,
            Graph = graph,
            OpsetImport = { new OperatorSetIdProto { Domain = string.Empty, Version = Opset } },
        };
        foreach (var (key, value) in metadata)
        {
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return proto.ToByteArray();
    }

    internal static AttributeProto Attr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    internal static AttributeProto Attr(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    internal static AttributeProto Attr(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    internal static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    private static (Tensor Scale, Tensor Shift) BnAffine(BatchNorm2d bn)
    {
        var scale = bn.weight!.detach().to(float64) / (bn.running_var!.to(float64) + bn.eps).sqrt();
        var shift = bn.bias!.detach().to(float64) - (bn.running_mean!.to(float64) * scale);
        return (scale, shift);
    }

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

    private static ValueInfoProto Value(string name, object[] dims, TensorProto.Types.DataType type)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string p ? new TensorShapeProto.Types.Dimension { DimParam = p } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
