using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Export.Onnx;

namespace PaddleX.Cloud.Vision.Quantisation;

/// <summary>
/// Rewrites a float32 ONNX graph as a QDQ int8 graph following a <see cref="QdqPlan"/>: each planned activation
/// gets QuantizeLinear → DequantizeLinear (per-tensor, asymmetric uint8), Conv/Gemm weights are stored
/// as symmetric int8 per output channel and biases as int32 (scale = input scale × weight scale) behind
/// DequantizeLinear. ONNX Runtime fuses those patterns into QLinearConv / QGemm / QLinearAdd / … int8 kernels;
/// any other runtime still computes the same function in float.
/// </summary>
internal static class QdqQuantiser
{
    private sealed record QuantParams(string Scale, string ZeroPoint, float ScaleValue);

    /// <summary>A weight as symmetric int8 per channel along <see cref="Axis"/>.</summary>
    public sealed record QuantisedWeight(sbyte[] Values, float[] Scales, int Axis, long[] Dims);

    /// <summary>Quantises the weights of the plan's Conv/Gemm nodes; reports (done, total) after each.</summary>
    public static Dictionary<NodeProto, QuantisedWeight> QuantiseWeights(QdqPlan plan, Action<int, int>? onWeight = null)
    {
        var result = new Dictionary<NodeProto, QuantisedWeight>(ReferenceEqualityComparer.Instance);
        foreach (var node in plan.Compute.Where(n => n.OpType is "Conv" or "Gemm").Concat(plan.WeightOnly))
        {
            result[node] = Weight(node, plan.Initializers[node.Input[plan.WeightInput(node)]]);
            onWeight?.Invoke(result.Count, plan.WeightCount);
        }

        return result;
    }

    /// <summary>The quantised copy of <paramref name="source"/>.</summary>
    /// <param name="weights">from <see cref="QuantiseWeights"/>.</param>
    /// <param name="ranges">float range per tensor of <see cref="QdqPlan.Calibrated"/>.</param>
    public static ModelProto Quantise(ModelProto source, QdqPlan plan, IReadOnlyDictionary<NodeProto, QuantisedWeight> weights, IReadOnlyDictionary<string, (float Min, float Max)> ranges)
    {
        var model = source.Clone();
        var graph = model.Graph;
        graph.Node.Clear();
        graph.Initializer.Clear();
        var added = new List<TensorProto>();
        var parameters = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
        foreach (var tensor in plan.Tensors)
        {
            var root = plan.SharedWith.GetValueOrDefault(tensor, tensor);
            if (!parameters.TryGetValue(root, out var p))
            {
                if (!ranges.TryGetValue(root, out var range))
                {
                    throw new InvalidOperationException($"no calibration range for {root}");
                }

                if (plan.Ceilings.TryGetValue(root, out var ceiling))
                {
                    range = (range.Min, Math.Min(range.Max, ceiling));
                }

                parameters[root] = p = ActivationParams(root, range, added);
            }

            parameters[tensor] = p;
        }

        var planned = plan.Tensors.ToHashSet(StringComparer.Ordinal);
        foreach (var input in graph.Input.Where(i => planned.Contains(i.Name)))
        {
            AddPair(graph, input.Name, parameters[input.Name]);
        }

        foreach (var original in source.Graph.Node)
        {
            if (plan.FoldedActivations.ContainsKey(original))
            {
                continue;
            }

            var node = original.Clone();
            node.Output[0] = plan.OutputOf(original);
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (planned.Contains(node.Input[i]))
                {
                    node.Input[i] = DequantizedName(node.Input[i]);
                }
            }

            if (weights.TryGetValue(original, out var weight))
            {
                if (original.OpType == "MatMul")
                {
                    node.Input[plan.WeightInput(original)] = AddWeight(graph, node.Output[0], weight, added);
                }
                else
                {
                    AddWeights(graph, node, weight, plan, parameters[original.Input[0]], added);
                }
            }

            graph.Node.Add(node);
            foreach (var output in node.Output.Where(planned.Contains))
            {
                AddPair(graph, output, parameters[output]);
            }
        }

        var used = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        graph.Initializer.Add(source.Graph.Initializer.Where(i => used.Contains(i.Name)));
        graph.Initializer.Add(added.Where(i => used.Contains(i.Name)));
        return model;
    }

    private static string DequantizedName(string tensor) => tensor + "_dequantized";

    private static void AddPair(GraphProto graph, string tensor, QuantParams p)
    {
        var quantised = tensor + "_quantized";
        graph.Node.Add(new NodeProto { OpType = "QuantizeLinear", Name = tensor + "_QuantizeLinear", Input = { tensor, p.Scale, p.ZeroPoint }, Output = { quantised } });
        graph.Node.Add(new NodeProto { OpType = "DequantizeLinear", Name = tensor + "_DequantizeLinear", Input = { quantised, p.Scale, p.ZeroPoint }, Output = { DequantizedName(tensor) } });
    }

    /// <summary>Asymmetric uint8 parameters for a range that holds 0 (so 0 and a ReLU's clamp are exact). uint8,
    /// not int8: ONNX Runtime's CPU provider fuses every uint8 pattern here into int8 kernels, while int8
    /// activations left a third of the convolutions and every Add in float (measured: slower than float32).</summary>
    private static QuantParams ActivationParams(string tensor, (float Min, float Max) range, List<TensorProto> added)
    {
        double lo = Math.Min(0, range.Min), hi = Math.Max(0, range.Max);
        var scale = hi - lo > 1e-12 ? (hi - lo) / 255.0 : 1.0;
        var (scaleName, zpName) = (tensor + "_scale", tensor + "_zero_point");
        added.Add(OnnxTensors.Floats(scaleName, [(float)scale]));
        added.Add(OnnxTensors.Bytes(zpName, [(byte)Math.Clamp(Math.Round(-lo / scale), 0, 255)]));

        return new QuantParams(scaleName, zpName, (float)scale);
    }

    /// <summary>Weight → int8 per output channel (symmetric, ±127). Conv weights are [out, in/groups, kh, kw];
    /// Gemm's B is [out, in] when transposed, else [in, out]; a weight-only MatMul's constant is […, out, in].</summary>
    private static QuantisedWeight Weight(NodeProto node, TensorProto w)
    {
        var dims = w.Dims.ToArray();
        var axis = node.OpType switch
        {
            "MatMul" => dims.Length - 2,
            "Gemm" when QdqPlan.IntAttr(node, "transB", 0) == 0 => 1,
            _ => 0,
        };
        var values = OnnxTensors.ToFloats(w);
        var channels = (int)dims[axis];
        var inner = (int)dims.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        var absMax = new float[channels];
        for (var i = 0; i < values.Length; i++)
        {
            var c = i / inner % channels;
            absMax[c] = Math.Max(absMax[c], Math.Abs(values[i]));
        }

        var scales = absMax.Select(m => m > 0 ? m / 127f : 1f).ToArray();
        var quantised = new sbyte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            quantised[i] = (sbyte)Math.Clamp(MathF.Round(values[i] / scales[i / inner % channels]), -127, 127);
        }

        return new QuantisedWeight(quantised, scales, axis, dims);
    }

    /// <summary>The int8 weight behind DequantizeLinear, named after the node's output; returns the dequantised name.</summary>
    private static string AddWeight(GraphProto graph, string prefix, QuantisedWeight weight, List<TensorProto> added)
    {
        var channels = weight.Scales.Length;
        added.Add(OnnxTensors.SBytes(prefix + "_W_quantized", weight.Values, weight.Dims));
        added.Add(OnnxTensors.Floats(prefix + "_W_scale", weight.Scales, channels));
        added.Add(OnnxTensors.SBytes(prefix + "_W_zero_point", new sbyte[channels], channels));
        graph.Node.Add(new NodeProto
        {
            OpType = "DequantizeLinear",
            Name = prefix + "_W_DequantizeLinear",
            Input = { prefix + "_W_quantized", prefix + "_W_scale", prefix + "_W_zero_point" },
            Output = { prefix + "_W_dequantized" },
            Attribute = { OnnxGraph.Attr("axis", (long)weight.Axis) },
        });
        return prefix + "_W_dequantized";
    }

    /// <summary>The int8 weight and int32 bias (scale = input scale × weight scale) behind DequantizeLinear.</summary>
    private static void AddWeights(GraphProto graph, NodeProto node, QuantisedWeight weight, QdqPlan plan, QuantParams input, List<TensorProto> added)
    {
        var scales = weight.Scales;
        var prefix = node.Output[0];
        node.Input[1] = AddWeight(graph, prefix, weight, added);

        if (node.Input.Count < 3 || node.Input[2].Length == 0)
        {
            return;
        }

        var bias = OnnxTensors.ToFloats(plan.Initializers[node.Input[2]]);
        var biasScales = scales.Select(s => input.ScaleValue * s).ToArray();
        var biasQ = bias.Select((b, c) => (int)Math.Clamp(Math.Round(b / (double)biasScales[c]), int.MinValue + 1, int.MaxValue)).ToArray();
        added.Add(OnnxTensors.Ints(prefix + "_B_quantized", biasQ, bias.Length));
        added.Add(OnnxTensors.Floats(prefix + "_B_scale", biasScales, bias.Length));
        added.Add(OnnxTensors.Ints(prefix + "_B_zero_point", new int[bias.Length], bias.Length));
        graph.Node.Add(new NodeProto
        {
            OpType = "DequantizeLinear",
            Name = prefix + "_B_DequantizeLinear",
            Input = { prefix + "_B_quantized", prefix + "_B_scale", prefix + "_B_zero_point" },
            Output = { prefix + "_B_dequantized" },
            Attribute = { OnnxGraph.Attr("axis", 0L) },
        });
        node.Input[2] = prefix + "_B_dequantized";
    }
}
