using PaddleX.Cloud.Vision.Export;

namespace PaddleX.Cloud.Vision.Detection.Export;

/// <summary>A detector that writes its network and box decoding into an ONNX graph for a fixed input size;
/// <see cref="DetectionOnnxExporter"/> adds the post-processing (per-class NMS, top detections).</summary>
public interface IDetectionOnnxExportable
{
    /// <summary>Emits the decoded candidates of the input picture: boxes [1, M, 4] (x1, y1, x2, y2 in input
    /// pixels, clipped to the input) and per-class scores [1, M, C].</summary>
    (string Boxes, string Scores) EmitCandidates(OnnxGraph graph, string input, int height, int width);

    /// <summary>For instance segmentation (Mask R-CNN): each final detection's mask probabilities [K, 1, M, M] inside
    /// its box, from the final <paramref name="boxes"/> [K, 4] and <paramref name="classes"/> [K] (after
    /// <see cref="EmitCandidates"/> in the same graph); null for a detector without masks.</summary>
    string? EmitMasks(OnnxGraph graph, string boxes, string classes) => null;
}
