using PaddleX.Cloud.Vision.Detection.Ops;
using PaddleX.Cloud.Vision.Export;
using DataType = PaddleX.Cloud.Vision.Export.Onnx.TensorProto.Types.DataType;

namespace PaddleX.Cloud.Vision.Detection.Export;

/// <summary>
/// <see cref="MatrixNms"/> written with plain ONNX operators, all classes at once: per class the best candidates
/// (<c>TopK</c>), their pairwise IoU matrix, the decay of every score by the higher-scored candidates, the score and
/// post thresholds, then the best detections over all classes. The same arithmetic and the same order as the
/// TorchSharp version (ties keep the lower index first in both), so the detections are the same, not approximations.
/// </summary>
/// <remarks>
/// The matrices are [C, k, k] for C classes and k candidates per class, where k is the largest number of candidates
/// above the score threshold in any class, capped by <see cref="MatrixNmsOptions.NmsTopK"/> — memory grows with
/// C·k², as it does in PaddlePaddle's kernel.
/// </remarks>
public static class MatrixNmsOnnx
{
    /// <param name="boxes">[1, M, 4] x1, y1, x2, y2.</param>
    /// <param name="scores">[1, M, C].</param>
    /// <returns>boxes [K, 4], decayed scores [K] (descending) and classes [K] int64.</returns>
    public static (string Boxes, string Scores, string Classes) Emit(OnnxGraph g, string boxes, string scores, MatrixNmsOptions o)
    {
        if (o.BackgroundLabel >= 0)
        {
            throw new NotSupportedException("ONNX export: Matrix NMS with a background class");
        }

        string perClass = g.Node("Transpose", [g.Node("Squeeze", [scores, g.Longs(0)])], OnnxGraph.Ints("perm", 1, 0)); // [C, M]
        string threshold = g.Scalar((float)o.ScoreThreshold);
        string above = g.Node("Cast", [g.Node("Greater", [perClass, threshold])], OnnxGraph.Attr("to", (long)DataType.Int64));
        string k = g.Node("ReduceMax", [g.Node("ReduceSum", [above, g.Longs(1)], OnnxGraph.Attr("keepdims", 0L))], OnnxGraph.Attr("keepdims", 1L));
        if (o.NmsTopK > -1)
        {
            k = g.Node("Min", [k, g.Longs(o.NmsTopK)]);
        }

        string[] top = g.Nodes("TopK", [perClass, k], 2, OnnxGraph.Attr("axis", 1L), OnnxGraph.Attr("largest", 1L), OnnxGraph.Attr("sorted", 1L));
        string sorted = top[0]; // [C, k]
        string candidates = g.Node("Gather", [g.Node("Squeeze", [boxes, g.Longs(0)]), top[1]], OnnxGraph.Attr("axis", 0L)); // [C, k, 4]

        // iou[c, i, j] for j < i: overlap of candidate i with the higher-scored j; zero on and above the diagonal.
        string Scalar(string oneElement) => g.Node("Squeeze", [oneElement, g.Longs(0)]);
        string index = g.Node("Range", [Scalar(g.Longs(0)), Scalar(k), Scalar(g.Longs(1))]);
        string higher = g.Node("Less", [g.Node("Unsqueeze", [index, g.Longs(0)]), g.Node("Unsqueeze", [index, g.Longs(1)])]);
        string zero = g.Scalar(0f), one = g.Scalar(1f);
        string iou = g.Node("Where", [higher, PairwiseIou(g, candidates, o.Normalized), zero]);
        string maxIou = g.Node("Transpose", [g.Node("ReduceMax", [iou], OnnxGraph.Ints("axes", 2), OnnxGraph.Attr("keepdims", 1L))], OnnxGraph.Ints("perm", 0, 2, 1));
        string decay = o.UseGaussian
            ? g.Node("Exp", [g.Mul(g.Node("Sub", [g.Mul(maxIou, maxIou), g.Mul(iou, iou)]), g.Scalar((float)o.GaussianSigma))])
            : g.Node("Div", [g.Node("Sub", [one, iou]), g.Node("Sub", [one, maxIou])]);
        // Only higher-scored candidates decay a score; a 0/0 of two identical boxes constrains nothing.
        string counts = g.Node("And", [higher, g.Node("Not", [g.Node("IsNaN", [decay])])]);
        decay = g.Node("Where", [counts, decay, one]);
        string factor = g.Node("Min", [g.Node("ReduceMin", [decay], OnnxGraph.Ints("axes", 2), OnnxGraph.Attr("keepdims", 0L)), one]);
        string decayed = g.Mul(sorted, factor); // [C, k]

        string keep = g.Node("And", [g.Node("Greater", [sorted, threshold]), g.Node("Greater", [decayed, g.Scalar((float)o.PostThreshold)])]);
        string flat = g.Node("Reshape", [g.Node("Where", [keep, decayed, g.Scalar(float.NegativeInfinity)]), g.Longs(-1)]);
        string n = g.Node("ReduceSum", [g.Node("Cast", [keep], OnnxGraph.Attr("to", (long)DataType.Int64)), g.Longs(0, 1)], OnnxGraph.Attr("keepdims", 0L));
        n = g.Node("Reshape", [n, g.Longs(1)]);
        if (o.KeepTopK > -1)
        {
            n = g.Node("Min", [n, g.Longs(o.KeepTopK)]);
        }

        // Classes one after another, each in candidate order: TopK's lower-index-first ties equal a stable sort.
        string[] best = g.Nodes("TopK", [flat, n], 2, OnnxGraph.Attr("axis", 0L), OnnxGraph.Attr("largest", 1L), OnnxGraph.Attr("sorted", 1L));
        // k is 0 when nothing passed the threshold; ONNX Runtime refuses an integer division by 0 even of an empty tensor.
        string classes = g.Node("Div", [best[1], g.Node("Max", [k, g.Longs(1)])]);
        string keptBoxes = g.Node("Gather", [g.Node("Reshape", [candidates, g.Longs(-1, 4)]), best[1]], OnnxGraph.Attr("axis", 0L));
        return (keptBoxes, best[0], classes);
    }

    /// <summary>[C, k, k] IoU of every candidate pair of a class in PaddlePaddle's convention (pixel boxes count both end
    /// pixels, an inverted box has area 0, boxes that do not touch overlap 0) — <see cref="MatrixNms"/>'s arithmetic.</summary>
    private static string PairwiseIou(OnnxGraph g, string boxes, bool normalized)
    {
        string plus = g.Scalar(normalized ? 0f : 1f);
        string Coordinate(long i) => g.Node("Slice", [boxes, g.Longs(i), g.Longs(i + 1), g.Longs(2)]); // [C, k, 1]
        string Row(string column) => g.Node("Transpose", [column], OnnxGraph.Ints("perm", 0, 2, 1)); // [C, 1, k]
        string Sub(string a, string b) => g.Node("Sub", [a, b]);
        string Or(string a, string b) => g.Node("Or", [a, b]);
        string x1 = Coordinate(0), y1 = Coordinate(1), x2 = Coordinate(2), y2 = Coordinate(3);
        string inverted = Or(g.Node("Less", [x2, x1]), g.Node("Less", [y2, y1]));
        string area = g.Node("Where", [inverted, g.Scalar(0f), g.Mul(g.Add(Sub(x2, x1), plus), g.Add(Sub(y2, y1), plus))]);
        string Overlap(string lo, string hi) =>
            g.Add(Sub(g.Node("Min", [hi, Row(hi)]), g.Node("Max", [lo, Row(lo)])), plus);
        string inter = g.Mul(Overlap(x1, x2), Overlap(y1, y2));
        string iou = g.Node("Div", [inter, Sub(g.Add(area, Row(area)), inter)]);
        string apart = Or(
            Or(g.Node("Greater", [Row(x1), x2]), g.Node("Less", [Row(x2), x1])),
            Or(g.Node("Greater", [Row(y1), y2]), g.Node("Less", [Row(y2), y1])));
        return g.Node("Where", [apart, g.Scalar(0f), iou]);
    }
}
