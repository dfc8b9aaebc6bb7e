using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using PaddleX.Cloud.Vision.Detection.Ops;
using PaddleX.Cloud.Vision.Export;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.PPYolo;

/// <summary>PP-YOLO's and PP-YOLOv2's post-processing: <see cref="MatrixNms"/> (linear decay, pixel boxes) with
/// PaddleX's settings taken from the detection options — the score threshold as both its score and post threshold
/// (PaddleX: 0.01 each), <c>PreNmsTopK</c> candidates per class, <c>MaxDetections</c> kept. Exported as the same
/// arithmetic in ONNX operators (<see cref="MatrixNmsOnnx"/>).</summary>
public sealed class MatrixNmsPostProcess : IYoloPostProcess, IOnnxDetectionPostProcess
{
    public static MatrixNmsPostProcess Instance { get; } = new();

    public Detections Apply(Tensor boxes, Tensor scores, DetectOptions options)
    {
        var (kept, keptScores, labels) = MatrixNms.Apply(boxes, scores, Settings(options));
        return new Detections(kept, keptScores, labels);
    }

    public (string Boxes, string Scores, string Classes) EmitOnnx(OnnxGraph graph, string boxes, string scores, DetectOptions options) =>
        MatrixNmsOnnx.Emit(graph, boxes, scores, Settings(options));

    private static MatrixNmsOptions Settings(DetectOptions options) => new(
        ScoreThreshold: options.ScoreThreshold,
        PostThreshold: options.ScoreThreshold,
        NmsTopK: options.PreNmsTopK > 0 ? options.PreNmsTopK : -1,
        KeepTopK: options.MaxDetections);
}
