using PaddleX.Cloud.Vision.Export.Onnx;

namespace PaddleX.Cloud.Vision.Quantisation;

/// <summary>
/// Which parts of an ONNX graph an int8 export quantises, worked out from the graph alone (any exported
/// family goes through the same rules):
/// <list type="bullet">
/// <item>compute nodes that ONNX Runtime runs as int8 kernels when wrapped in QuantizeLinear/DequantizeLinear —
/// Conv and Gemm with constant weights, Add and Concat of activations, average pooling — get their activation
/// inputs and outputs quantised;</item>
/// <item>a Relu or Clip(0, c) that is the only consumer of such a node's output is folded into the output's
/// range (an asymmetric range starting at 0 clamps exactly like the activation);</item>
/// <item>layout nodes that move values without computing new ones (MaxPool, Flatten, Resize) keep the
/// quantisation of their input, so the runtime can drop the pair around them.</item>
/// </list>
/// Everything else stays float32 and reads its inputs through DequantizeLinear. In a graph with its own
/// post-processing (a detector selecting with NonMaxSuppression or TopK) the decoding tail stays float32 as a whole:
/// nothing from which no weighted convolution can be reached is quantised, and a convolution that only feeds that
/// tail keeps a float output (box coordinates and scores at 8 bits would move boxes and reorder NMS). A MatMul
/// with a constant weight (a deformable convolution) stores that weight as int8 but multiplies in float, and the
/// deformable sampling (offsets, grid, GridSample) stays float.
/// </summary>
internal sealed class QdqPlan
{
    private static readonly HashSet<string> Pools = ["GlobalAveragePool", "AveragePool"];
    private static readonly HashSet<string> Passthrough = ["MaxPool", "Flatten", "Resize"];

    private QdqPlan(GraphProto graph)
    {
        Initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var floats = FloatTensors(graph, Initializers);
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var consumers = Consumers(graph);
        var tail = PostProcessingTail(graph, Initializers, floats);
        var sampling = SamplingGrids(graph, Initializers, floats);

        foreach (var node in graph.Node.Where(n => !tail.Contains(n) && !sampling.Contains(n)))
        {
            if (IsWeighted(node, Initializers, floats) || IsActivationOp(node, Initializers, floats))
            {
                Compute.Add(node);
            }
            else if (node.OpType == "MatMul" && node.Input.Count(i => Initializers.TryGetValue(i, out var w) && w.DataType == (int)TensorProto.Types.DataType.Float && w.Dims.Count >= 2) == 1)
            {
                WeightOnly.Add(node);
            }
        }

        // Relu / Clip(0, c) right after a compute node (its only consumer) becomes part of that node's output range.
        foreach (var node in Compute.Where(n => n.OpType is "Conv" or "Gemm" or "Add"))
        {
            var output = node.Output[0];
            if (graphOutputs.Contains(output) || !consumers.TryGetValue(output, out var users) || users.Count != 1)
            {
                continue;
            }

            var activation = users[0];
            if (activation.OpType == "Relu" || (activation.OpType == "Clip" && ClipBounds(activation) is (0f, _)))
            {
                FoldedActivations[activation] = node;
                foldedInto[node] = activation;
                if (activation.OpType == "Clip" && ClipBounds(activation) is (_, var top))
                {
                    Ceilings[activation.Output[0]] = top;
                }
            }
        }

        foreach (var node in Compute)
        {
            var activationInputs = node.OpType is "Conv" or "Gemm" ? node.Input.Take(1) : node.Input;
            foreach (var input in activationInputs.Where(i => i.Length > 0 && floats.Contains(i) && !Initializers.ContainsKey(i)))
            {
                Add(input);
            }

            var output = OutputOf(node);
            // Gemm may hand float32 to float consumers (the logits): quantising them only loses precision.
            if (node.OpType == "Gemm"
                ? Users(output, consumers).Any(u => Compute.Contains(u) || Passthrough.Contains(u.OpType))
                : !(tail.Count > 0 && Users(output, consumers).All(tail.Contains)) && !Users(output, consumers).Any(sampling.Contains))
            {
                Add(output);
            }
        }

        foreach (var node in graph.Node.Where(n => Passthrough.Contains(n.OpType) && n.Input.Count > 0))
        {
            if (tensorSet.Contains(node.Input[0]) && floats.Contains(node.Output[0]))
            {
                Add(node.Output[0]);
                SharedWith[node.Output[0]] = SharedWith.TryGetValue(node.Input[0], out var root) ? root : node.Input[0];
            }
        }

        Calibrated = Tensors.Where(t => !SharedWith.ContainsKey(t)).ToList();
    }

    private readonly HashSet<string> tensorSet = new(StringComparer.Ordinal);

    public Dictionary<string, TensorProto> Initializers { get; }

    /// <summary>Nodes run as int8 kernels: their weights are quantised per output channel.</summary>
    public HashSet<NodeProto> Compute { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>MatMuls with one constant weight outside the kernels above (a deformable convolution's weights times
    /// its sampled columns): the weight is stored as int8 per output row behind DequantizeLinear, the product runs in
    /// float on float inputs.</summary>
    public List<NodeProto> WeightOnly { get; } = [];

    /// <summary>Folded activation → the compute node that now writes the activation's output.</summary>
    public Dictionary<NodeProto, NodeProto> FoldedActivations { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Compute node → the activation folded into it.</summary>
    private readonly Dictionary<NodeProto, NodeProto> foldedInto = new(ReferenceEqualityComparer.Instance);

    /// <summary>Upper clip bounds of folded Clip nodes, by output tensor.</summary>
    public Dictionary<string, float> Ceilings { get; } = new(StringComparer.Ordinal);

    /// <summary>Activation tensors that get a QuantizeLinear/DequantizeLinear pair, in graph order.</summary>
    public List<string> Tensors { get; } = [];

    /// <summary>Tensors that reuse the quantisation of another (outputs of layout nodes).</summary>
    public Dictionary<string, string> SharedWith { get; } = new(StringComparer.Ordinal);

    /// <summary>The tensors calibration must measure (names of the original float graph).</summary>
    public IReadOnlyList<string> Calibrated { get; }

    /// <summary>How many weight tensors are quantised (for the progress log).</summary>
    public int WeightCount => Compute.Count(n => n.OpType is "Conv" or "Gemm") + WeightOnly.Count;

    /// <summary>Which input of a weighted node holds its weight: Conv's and Gemm's second; a weight-only MatMul's constant.</summary>
    public int WeightInput(NodeProto node) => node.OpType == "MatMul" ? node.Input.ToList().FindIndex(Initializers.ContainsKey) : 1;

    public static QdqPlan For(ModelProto model)
    {
        if (model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max() < 13)
        {
            throw new NotSupportedException("int8 export needs opset 13 or newer (per-channel QuantizeLinear)");
        }

        return new QdqPlan(model.Graph);
    }

    /// <summary>The tensor a node's result is read from once folded activations are gone.</summary>
    public string OutputOf(NodeProto node) => foldedInto.TryGetValue(node, out var folded) ? folded.Output[0] : node.Output[0];

    /// <summary>The nodes of a detector's decoding and selection tail (none unless the graph selects detections with
    /// <c>NonMaxSuppression</c> or <c>TopK</c>): every node from which no weighted convolution can be reached — the
    /// decoding of the head's outputs into boxes and scores, and the selection. Shape arithmetic that feeds a layer
    /// (CoordConv's coordinate channels, a deformable convolution's sampling grid) reaches one and is not tail.</summary>
    private static HashSet<NodeProto> PostProcessingTail(GraphProto graph, Dictionary<string, TensorProto> initializers, HashSet<string> floats)
    {
        var tail = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        if (graph.Node.All(n => n.OpType is not ("NonMaxSuppression" or "TopK")))
        {
            return tail;
        }

        // ONNX lists nodes in topological order, so walking backwards sees every reader of a tensor before its writer.
        var feeding = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in Enumerable.Reverse(graph.Node))
        {
            if (IsWeighted(node, initializers, floats) || node.Output.Any(feeding.Contains))
            {
                feeding.UnionWith(node.Input);
            }
            else
            {
                tail.Add(node);
            }
        }

        return tail;
    }

    /// <summary>The nodes computing where a <c>GridSample</c> samples (a deformable convolution's offsets turned into
    /// its sampling grid), back to the convolution predicting the offsets; only float tensors are followed, so the
    /// shape arithmetic stops the walk. They stay float, and so does that convolution's output: sampling positions
    /// at 8 bits would move every sample.</summary>
    private static HashSet<NodeProto> SamplingGrids(GraphProto graph, Dictionary<string, TensorProto> initializers, HashSet<string> floats)
    {
        var grids = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var writers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                writers[output] = node;
            }
        }

        var pending = new Stack<string>(graph.Node.Where(n => n.OpType == "GridSample" && n.Input.Count > 1).Select(n => n.Input[1]));
        while (pending.TryPop(out var tensor))
        {
            if (floats.Contains(tensor) && writers.TryGetValue(tensor, out var writer) && !IsWeighted(writer, initializers, floats) && grids.Add(writer))
            {
                foreach (var input in writer.Input)
                {
                    pending.Push(input);
                }
            }
        }

        return grids;
    }

    private static IEnumerable<NodeProto> Users(string tensor, Dictionary<string, List<NodeProto>> consumers) =>
        consumers.TryGetValue(tensor, out var users) ? users : [];

    private void Add(string tensor)
    {
        if (tensorSet.Add(tensor))
        {
            Tensors.Add(tensor);
        }
    }

    /// <summary>Conv with a constant 4-D weight, or Gemm (alpha = beta = 1, A not transposed) with a constant 2-D B.</summary>
    private static bool IsWeighted(NodeProto node, Dictionary<string, TensorProto> initializers, HashSet<string> floats)
    {
        if (node.Input.Count < 2 || !floats.Contains(node.Input[0]) || !initializers.TryGetValue(node.Input[1], out var w) || w.DataType != (int)TensorProto.Types.DataType.Float)
        {
            return false;
        }

        var biasOk = node.Input.Count < 3 || node.Input[2].Length == 0
            || (initializers.TryGetValue(node.Input[2], out var b) && b.DataType == (int)TensorProto.Types.DataType.Float);
        return node.OpType switch
        {
            "Conv" => w.Dims.Count == 4 && biasOk,
            "Gemm" => w.Dims.Count == 2 && biasOk && IntAttr(node, "transA", 0) == 0 && FloatAttr(node, "alpha", 1f) == 1f && FloatAttr(node, "beta", 1f) == 1f
                && (node.Input.Count < 3 || node.Input[2].Length == 0 || initializers[node.Input[2]].Dims.Count == 1),
            _ => false,
        };
    }

    private static bool IsActivationOp(NodeProto node, Dictionary<string, TensorProto> initializers, HashSet<string> floats)
    {
        var inputs = node.Input.Where(i => i.Length > 0).ToList();
        var allActivations = inputs.Count > 0 && inputs.All(i => floats.Contains(i) && !initializers.ContainsKey(i));
        return node.OpType switch
        {
            "Add" => inputs.Count == 2 && allActivations,
            "Concat" => allActivations,
            _ when Pools.Contains(node.OpType) => inputs.Count == 1 && allActivations,
            _ => false,
        };
    }

    /// <summary>Float tensors of the graph: float inputs and initializers, and whatever ops derive from them
    /// (shape arithmetic, arg-max and casts to other types are not float).</summary>
    private static HashSet<string> FloatTensors(GraphProto graph, Dictionary<string, TensorProto> initializers)
    {
        const int Float = (int)TensorProto.Types.DataType.Float;
        var floats = new HashSet<string>(StringComparer.Ordinal);
        floats.UnionWith(graph.Input.Where(i => i.Type?.TensorType?.ElemType == Float).Select(i => i.Name));
        floats.UnionWith(initializers.Values.Where(i => i.DataType == Float).Select(i => i.Name));
        foreach (var node in graph.Node)
        {
            var isFloat = node.OpType switch
            {
                "Shape" or "Size" or "ArgMax" or "ArgMin" or "NonZero" or "NonMaxSuppression" or "TopK" => false,
                "Cast" => IntAttr(node, "to", 0) == Float,
                "Constant" => node.Attribute.FirstOrDefault(a => a.Name == "value")?.T?.DataType == Float,
                _ => node.Input.Count > 0 && floats.Contains(node.Input[0]),
            };
            if (isFloat)
            {
                floats.Add(node.Output[0]);
            }

            if (node.OpType == "TopK" && node.Input.Count > 0 && floats.Contains(node.Input[0]))
            {
                floats.Add(node.Output[0]); // values float, indices int64
            }
        }

        return floats;
    }

    private static Dictionary<string, List<NodeProto>> Consumers(GraphProto graph)
    {
        var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input.Where(i => i.Length > 0).Distinct())
            {
                if (!consumers.TryGetValue(input, out var list))
                {
                    consumers[input] = list = [];
                }

                list.Add(node);
            }
        }

        return consumers;
    }

    /// <summary>Clip's constant bounds (inputs 1 and 2 as scalar initializers; missing = unbounded), or null.</summary>
    private (float Min, float Max)? ClipBounds(NodeProto clip)
    {
        float? Bound(int index, float missing)
        {
            if (clip.Input.Count <= index || clip.Input[index].Length == 0)
            {
                return missing;
            }

            return Initializers.TryGetValue(clip.Input[index], out var t) && OnnxTensors.ToFloats(t) is [var v] ? v : null;
        }

        return Bound(1, float.NegativeInfinity) is { } lo && Bound(2, float.PositiveInfinity) is { } hi ? (lo, hi) : null;
    }

    internal static long IntAttr(NodeProto node, string name, long missing) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : missing;

    private static float FloatAttr(NodeProto node, string name, float missing) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : missing;
}
