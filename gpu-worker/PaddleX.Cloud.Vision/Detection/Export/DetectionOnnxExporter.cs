using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Export;
using static TorchSharp.torch;
using DataType = PaddleX.Cloud.Vision.Export.Onnx.TensorProto.Types.DataType;

namespace PaddleX.Cloud.Vision.Detection.Export;

/// <summary>
/// Writes a trained detector as ONNX (IR 8, opset 17) with its post-processing inside the graph, so the model
/// returns final detections. Input <c>image</c> [1, 3, H, W] float (normalised) at the training size; outputs
/// <c>boxes</c> [K, 4] (x1, y1, x2, y2 in input pixels), <c>scores</c> [K] and <c>classes</c> [K] int64, sorted by
/// score, and for instance segmentation <c>masks</c> [K, 1, M, M] (each detection's mask probabilities inside its box,
/// M = 28 for Mask R-CNN). The post-processing is the detector's own: per class the <c>PreNmsTopK</c> best candidates above the
/// score threshold, ONNX <c>NonMaxSuppression</c> per class, then the <c>MaxDetections</c> best over all classes.
/// </summary>
public static class DetectionOnnxExporter
{
    public const string InputName = "image";
    public const string BoxesName = "boxes";
    public const string ScoresName = "scores";
    public const string ClassesName = "classes";
    public const string MasksName = "masks";

    public static byte[] Export(IDetector detector, int width, int height, OnnxWeights weights = OnnxWeights.Float32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (detector is not IDetectionOnnxExportable exportable)
        {
            throw new NotSupportedException($"ONNX export: {detector.Architecture} does not describe its graph");
        }

        DetectOptions o = detector.DefaultDetectOptions;
        var g = new OnnxGraph("paddlex_cloud_detector", weights);
        string? masks;
        using (no_grad())
        {
            var (boxes, scores) = exportable.EmitCandidates(g, InputName, height, width);
            string perClass = g.Node("Transpose", [scores], OnnxGraph.Ints("perm", 0, 2, 1)); // [1, C, M]
            perClass = KeepTopPerClass(g, perClass, o.PreNmsTopK);
            string selected = g.Node("NonMaxSuppression",
                [boxes, perClass, g.Longs(o.MaxDetections), g.Floats((float)o.NmsThreshold), g.Floats((float)o.ScoreThreshold)]);
            // selected: [K, 3] = (image, class, candidate).
            string classes = g.Node("Squeeze", [g.Node("Slice", [selected, g.Longs(1), g.Longs(2), g.Longs(1)]), g.Longs(1)]);
            string candidates = g.Node("Squeeze", [g.Node("Slice", [selected, g.Longs(2), g.Longs(3), g.Longs(1)]), g.Longs(1)]);
            string keptScores = g.Node("GatherND", [perClass, selected]);
            string keptBoxes = g.Node("Gather", [g.Node("Squeeze", [boxes, g.Longs(0)]), candidates], OnnxGraph.Attr("axis", 0L));
            // The best MaxDetections over all classes, by descending score.
            string k = g.Node("Min", [g.Node("Shape", [keptScores]), g.Longs(o.MaxDetections)]);
            string[] best = g.Nodes("TopK", [keptScores, k], 2, OnnxGraph.Attr("axis", 0L), OnnxGraph.Attr("largest", 1L), OnnxGraph.Attr("sorted", 1L));
            g.Output(ScoresName, "Identity", best[0]);
            g.Output(BoxesName, "Identity", g.Node("Gather", [keptBoxes, best[1]], OnnxGraph.Attr("axis", 0L)));
            g.Output(ClassesName, "Identity", g.Node("Gather", [classes, best[1]], OnnxGraph.Attr("axis", 0L)));
            masks = exportable.EmitMasks(g, BoxesName, ClassesName);
            if (masks is not null)
            {
                g.Output(MasksName, "Identity", masks);
            }
        }

        g.Input(InputName, [1L, 3L, (long)height, (long)width]);
        g.DeclareOutput(BoxesName, ["K", 4L]);
        g.DeclareOutput(ScoresName, ["K"]);
        g.DeclareOutput(ClassesName, ["K"], DataType.Int64);
        if (masks is not null)
        {
            g.DeclareOutput(MasksName, ["K", 1L, "M", "M"]);
        }

        var props = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["model"] = detector.Architecture,
            ["backbone"] = detector.Backbone,
            ["task"] = masks is null ? "detection" : "instance_segmentation",
        };
        return g.ToBytes($"{detector.Architecture}-{detector.Backbone} detector exported from TorchSharp weights", props);
    }

    /// <summary>Zeroes every score outside the <paramref name="topK"/> best of its class ([1, C, M] in and out).</summary>
    private static string KeepTopPerClass(OnnxGraph g, string scores, int topK)
    {
        if (topK <= 0)
        {
            return scores;
        }

        string m = g.Node("Slice", [g.Node("Shape", [scores]), g.Longs(2), g.Longs(3)]);
        string k = g.Node("Min", [m, g.Longs(topK)]);
        string[] top = g.Nodes("TopK", [scores, k], 2, OnnxGraph.Attr("axis", 2L), OnnxGraph.Attr("largest", 1L), OnnxGraph.Attr("sorted", 1L));
        return g.Node("ScatterElements", [g.Node("Mul", [scores, g.Floats(0f)]), top[1], top[0]], OnnxGraph.Attr("axis", 2L));
    }
}
