using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Ops;
using PaddleX.Cloud.Vision.Export;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// RoIAlign for the RoI heads over det-ops' <see cref="RoiAlign"/>: the levels' scales are their known strides, each
/// box goes to the pyramid level the FPN rule gives (<see cref="MultiScaleRoiAlign.MapLevels"/>), and the pixel
/// alignment and sampling grid are settings — PaddleX's are aligned with an adaptive grid, TorchVision's
/// unaligned with 2×2 samples per bin.
/// </summary>
internal sealed class RoiAligner(int output, int samplingRatio, bool aligned)
{
    private readonly MultiScaleRoiAlign levelRule = new(output, output, samplingRatio);

    /// <summary>Features [R, C, output, output] for the boxes of every image (input pixels), in order.</summary>
    public Tensor Pool(IReadOnlyList<Tensor> levels, IReadOnlyList<long> strides, IReadOnlyList<Tensor> boxes)
    {
        var scales = strides.Select(s => 1.0 / s).ToArray();
        var rois = new List<float>();
        for (var i = 0; i < boxes.Count; i++)
        {
            foreach (var box in HostArrays.Of<float>(boxes[i], ScalarType.Float32).Chunk(4))
            {
                rois.Add(i);
                rois.AddRange(box);
            }
        }

        var levelOf = levels.Count == 1 ? new int[rois.Count / 5] : levelRule.MapLevels(boxes, scales).Select(l => (int)l).ToArray();
        return RoiAlign.Pool(levels, scales, rois.ToArray(), levelOf, output, output, samplingRatio, aligned);
    }

    /// <summary>The graph of <see cref="Pool"/> for the boxes [R, 4] of one picture.</summary>
    public string EmitPool(OnnxGraph graph, IReadOnlyList<string> levels, IReadOnlyList<long> strides, string boxes) =>
        RcnnGraph.Pool(graph, levels, strides, boxes, output, samplingRatio, aligned);
}
