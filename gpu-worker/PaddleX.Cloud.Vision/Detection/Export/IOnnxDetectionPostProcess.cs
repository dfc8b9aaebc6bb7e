using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Export;

namespace PaddleX.Cloud.Vision.Detection.Export;

/// <summary>A post-processing that writes itself into an exported detector's graph in place of
/// <see cref="DetectionOnnxExporter"/>'s per-class NonMaxSuppression (e.g. Matrix NMS).</summary>
public interface IOnnxDetectionPostProcess
{
    /// <param name="boxes">[1, M, 4] decoded candidates (x1, y1, x2, y2 in input pixels).</param>
    /// <param name="scores">[1, M, C] per-class scores.</param>
    /// <returns>boxes [K, 4], scores [K] (descending) and classes [K] int64.</returns>
    (string Boxes, string Scores, string Classes) EmitOnnx(OnnxGraph graph, string boxes, string scores, DetectOptions options);
}
