using PaddleX.Cloud.Vision.Detection.Ops;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Export.Onnx;

namespace PaddleX.Cloud.Vision.Detection.Export;

/// <summary>
/// ONNX counterparts of the R-CNN box arithmetic (<see cref="BoxCoder"/>, <see cref="BoxOps.Clip"/>, the small-box
/// filter, NMS within groups, multi-level RoIAlign) for one picture. Each writes the same single-precision operations
/// in the same order as the TorchSharp code, so the graph keeps the same boxes.
/// </summary>
internal static class RcnnGraph
{
    /// <summary><see cref="BoxCoder.Decode"/>: deltas [N, G, 4] applied to reference boxes [N, 1, 4] → boxes [N, G, 4].</summary>
    public static string Decode(OnnxGraph g, string deltas, string boxes, IReadOnlyList<double> weights, double xformClip = BoxCoder.DefaultXformClip)
    {
        string[] b = Coordinates(g, boxes);
        string width = g.Node("Sub", [b[2], b[0]]);
        string height = g.Node("Sub", [b[3], b[1]]);
        string cx = g.Add(b[0], g.Mul(g.Floats(0.5f), width));
        string cy = g.Add(b[1], g.Mul(g.Floats(0.5f), height));
        string[] d = Coordinates(g, deltas);
        string[] scaled = d.Select((c, i) => weights[i] == 1 ? c : g.Node("Div", [c, g.Floats((float)weights[i])])).ToArray();
        string dw = g.Node("Min", [scaled[2], g.Floats((float)xformClip)]);
        string dh = g.Node("Min", [scaled[3], g.Floats((float)xformClip)]);
        string ctrX = g.Add(g.Mul(scaled[0], width), cx);
        string ctrY = g.Add(g.Mul(scaled[1], height), cy);
        string halfW = g.Mul(g.Mul(g.Node("Exp", [dw]), width), g.Floats(0.5f));
        string halfH = g.Mul(g.Mul(g.Node("Exp", [dh]), height), g.Floats(0.5f));
        return g.Node("Concat", [g.Node("Sub", [ctrX, halfW]), g.Node("Sub", [ctrY, halfH]), g.Add(ctrX, halfW), g.Add(ctrY, halfH)], OnnxGraph.Attr("axis", -1L));
    }

    /// <summary><see cref="BoxOps.Clip"/> to the picture: x into [0, width], y into [0, height] (boxes [..., 4]).</summary>
    public static string Clip(OnnxGraph g, string boxes, long height, long width) =>
        g.Node("Max", [g.Node("Min", [boxes, g.Floats(width, height, width, height)]), g.Floats(0f)]);

    /// <summary>Whether both sides of each box [..., 4] are at least <paramref name="minSize"/> (bool [...]).</summary>
    public static string LargeEnough(OnnxGraph g, string boxes, double minSize)
    {
        string[] b = Coordinates(g, boxes);
        string min = g.Floats((float)minSize);
        string wide = g.Node("GreaterOrEqual", [g.Node("Sub", [b[2], b[0]]), min]);
        string tall = g.Node("GreaterOrEqual", [g.Node("Sub", [b[3], b[1]]), min]);
        return g.Node("Squeeze", [g.Node("And", [wide, tall]), g.Longs(-1)]);
    }

    /// <summary>Indices (int64 [M]) where a bool vector is true, in order.</summary>
    public static string Where(OnnxGraph g, string mask) => g.Node("Reshape", [g.Node("NonZero", [mask]), g.Longs(-1)]);

    public static string Gather(OnnxGraph g, string data, string indices) => g.Node("Gather", [data, indices], OnnxGraph.Attr("axis", 0L));

    /// <summary>
    /// <see cref="Nms.Batched"/> of boxes [M, 4] with scores [M] in <paramref name="groups"/> (int64 [M], values below
    /// <paramref name="groupCount"/>), cut to the <paramref name="keep"/> best: indices into M by descending score. Each
    /// group is one class of ONNX NonMaxSuppression; the scores of the other groups' boxes are −1, below its threshold.
    /// </summary>
    public static string BatchedNms(OnnxGraph g, string boxes, string scores, string groups, int groupCount, int keep, double iouThreshold)
    {
        string rows = g.Node("Unsqueeze", [g.Longs(Enumerable.Range(0, groupCount).Select(i => (long)i).ToArray()), g.Longs(1)]);
        string own = g.Node("Equal", [rows, g.Node("Unsqueeze", [groups, g.Longs(0)])]);
        string perGroup = g.Node("Where", [own, g.Node("Unsqueeze", [scores, g.Longs(0)]), g.Floats(-1f)]);
        string selected = g.Node("NonMaxSuppression",
            [g.Node("Unsqueeze", [boxes, g.Longs(0)]), g.Node("Unsqueeze", [perGroup, g.Longs(0)]), g.Longs(keep), g.Floats((float)iouThreshold), g.Floats(-0.5f)]);
        string candidates = g.Node("Reshape", [g.Node("Slice", [selected, g.Longs(2), g.Longs(3), g.Longs(1)]), g.Longs(-1)]);
        string kept = Gather(g, scores, candidates);
        string k = g.Node("Min", [g.Node("Shape", [kept]), g.Longs(keep)]);
        string[] best = g.Nodes("TopK", [kept, k], 2, OnnxGraph.Attr("axis", 0L), OnnxGraph.Attr("largest", 1L), OnnxGraph.Attr("sorted", 1L));
        return Gather(g, candidates, best[1]);
    }

    /// <summary>
    /// RoIAlign of boxes [R, 4] (input pixels) on the level <see cref="MultiScaleRoiAlign.MapLevels"/> assigns each, as
    /// [R, C, resolution, resolution] in box order: the levels are found by comparing √area with the rule's
    /// thresholds, each level pools its own boxes (ONNX RoiAlign), and a scatter puts the rows back in order.
    /// </summary>
    public static string Pool(OnnxGraph g, IReadOnlyList<string> levels, IReadOnlyList<long> strides, string boxes, int resolution, int samplingRatio, bool aligned)
    {
        if (levels.Count == 1)
        {
            return RoiAlign(g, levels[0], strides[0], boxes, resolution, samplingRatio, aligned);
        }

        double[] scales = strides.Select(s => 1.0 / s).ToArray();
        float[] thresholds = new MultiScaleRoiAlign(resolution, resolution, samplingRatio).LevelThresholds(scales);
        string[] b = Coordinates(g, boxes);
        string area = g.Mul(g.Node("Sub", [b[2], b[0]]), g.Node("Sub", [b[3], b[1]]));
        string side = g.Node("Reshape", [g.Node("Sqrt", [area]), g.Longs(-1)]);
        string level = g.Node("Cast", [g.Node("GreaterOrEqual", [side, g.Floats(thresholds[0])])], ToInt64);
        foreach (float t in thresholds.Skip(1))
        {
            level = g.Add(level, g.Node("Cast", [g.Node("GreaterOrEqual", [side, g.Floats(t)])], ToInt64));
        }

        var pooled = new List<string>();
        var order = new List<string>();
        for (int l = 0; l < levels.Count; l++)
        {
            string mine = Where(g, g.Node("Equal", [level, g.Longs(l)]));
            order.Add(mine);
            pooled.Add(RoiAlign(g, levels[l], strides[l], Gather(g, boxes, mine), resolution, samplingRatio, aligned));
        }

        // Row j of the concatenation belongs to box order[j]: scatter j to position order[j] to get each box's row.
        string byLevel = g.Node("Concat", order, OnnxGraph.Attr("axis", 0L));
        string count = g.Node("Squeeze", [g.Node("Shape", [byLevel]), g.Longs(0)]);
        string rows = g.Node("Range", [g.Node("Squeeze", [g.Longs(0), g.Longs(0)]), count, g.Node("Squeeze", [g.Longs(1), g.Longs(0)])]);
        string rowOf = g.Node("ScatterElements", [byLevel, byLevel, rows], OnnxGraph.Attr("axis", 0L));
        return Gather(g, g.Node("Concat", pooled, OnnxGraph.Attr("axis", 0L)), rowOf);
    }

    private static string RoiAlign(OnnxGraph g, string feature, long stride, string boxes, int resolution, int samplingRatio, bool aligned)
    {
        string batchIndex = g.Node("Expand", [g.Longs(0), g.Node("Slice", [g.Node("Shape", [boxes]), g.Longs(0), g.Longs(1)])]);
        return g.Node("RoiAlign", [feature, boxes, batchIndex],
            OnnxGraph.Attr("coordinate_transformation_mode", aligned ? "half_pixel" : "output_half_pixel"),
            OnnxGraph.Attr("mode", "avg"),
            OnnxGraph.Attr("output_height", (long)resolution),
            OnnxGraph.Attr("output_width", (long)resolution),
            OnnxGraph.Attr("sampling_ratio", (long)samplingRatio),
            OnnxGraph.Attr("spatial_scale", (float)(1.0 / stride)));
    }

    private static AttributeProto ToInt64 => OnnxGraph.Attr("to", (long)TensorProto.Types.DataType.Int64);

    /// <summary>The four coordinates of boxes [..., 4], each [..., 1].</summary>
    private static string[] Coordinates(OnnxGraph g, string boxes) =>
        Enumerable.Range(0, 4).Select(i => g.Node("Slice", [boxes, g.Longs(i), g.Longs(i + 1), g.Longs(-1)])).ToArray();
}
