using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// RoIAlign over one or more feature levels, built from <c>grid_sample</c> (TorchVision 0.107 has no
/// <c>roi_align</c>): each box is split into <c>output × output</c> bins, each bin averages
/// <c>samplingRatio²</c> bilinear samples. Samples clamp to the border like the reference op and count as zero more
/// than one pixel outside the map. With several levels each box goes to level
/// ⌊4 + log2(√area / 224)⌋ clamped to the pyramid (the FPN paper's rule).
/// </summary>
/// <param name="output">bins per side (7 for the box head, 14 for the mask head and the C4 head).</param>
/// <param name="samplingRatio">samples per bin side (the reference's adaptive 0 is not vectorisable; 2 is its value
/// for boxes up to two bins wide per feature pixel).</param>
/// <param name="aligned">shift by half a pixel so box corners sit on pixel corners (PaddleX's setting).</param>
internal sealed class RoiAligner(long output, long samplingRatio, bool aligned)
{
    /// <summary>Features [R, C, output, output] for <paramref name="boxes"/> of every image (input pixels).</summary>
    /// <param name="levels">feature maps [B, C, H, W], finest first.</param>
    /// <param name="strides">their strides in input pixels (powers of two).</param>
    public Tensor Pool(IReadOnlyList<Tensor> levels, IReadOnlyList<long> strides, IReadOnlyList<Tensor> boxes)
    {
        using var scope = NewDisposeScope();
        var all = cat(boxes.ToList(), 0);
        var imageOf = cat(boxes.Select((b, i) => full(b.shape[0], i, dtype: int64, device: b.device)).ToList(), 0);
        var level = zeros(all.shape[0], dtype: int64, device: all.device);
        if (levels.Count > 1)
        {
            var kMin = Math.Log2(strides[0]);
            var kMax = Math.Log2(strides[^1]);
            var area = (all[.., 2] - all[.., 0]) * (all[.., 3] - all[.., 1]);
            var k = (4 + (area.sqrt() / 224).log2() + 1e-6).floor().clamp(kMin, kMax);
            level = (k - kMin).to(int64);
        }

        var result = zeros(all.shape[0], levels[0].shape[1], output, output, dtype: levels[0].dtype, device: all.device);
        for (var l = 0; l < levels.Count; l++)
        {
            for (var i = 0; i < boxes.Count; i++)
            {
                var index = ((level == l) & (imageOf == i)).nonzero().squeeze(1);
                if (index.shape[0] > 0)
                {
                    result.index_put_(Sample(levels[l][i], all[index], 1.0 / strides[l]), index);
                }
            }
        }

        return result.MoveToOuterDisposeScope();
    }

    /// <summary>[R, C, output, output] from one image's feature map [C, H, W].</summary>
    private Tensor Sample(Tensor feature, Tensor boxes, double scale)
    {
        var (height, width) = (feature.shape[1], feature.shape[2]);
        var offset = aligned ? 0.5 : 0.0;
        var start = boxes[.., 0..2] * scale - offset;
        var size = boxes[.., 2..4] * scale - offset - start;
        if (!aligned)
        {
            size = size.clamp(min: 1.0);
        }

        // Sample positions along one side, in bins: (bin + (s + 0.5) / samplingRatio) / output.
        var steps = output * samplingRatio;
        var fraction = (arange(steps, dtype: boxes.dtype, device: boxes.device) + 0.5) / steps;
        var xs = start[.., 0].unsqueeze(1) + size[.., 0].unsqueeze(1) * fraction; // [R, S]
        var ys = start[.., 1].unsqueeze(1) + size[.., 1].unsqueeze(1) * fraction;
        var r = boxes.shape[0];
        var gx = xs.unsqueeze(1).expand(r, steps, steps);
        var gy = ys.unsqueeze(2).expand(r, steps, steps);
        var inside = ((gx >= -1) & (gx <= width) & (gy >= -1) & (gy <= height)).to(feature.dtype);
        // grid_sample with align_corners=false maps pixel centre x to (2x + 1) / W - 1; border padding clamps like the op.
        var grid = stack([(gx.clamp(min: 0) * 2 + 1) / width - 1, (gy.clamp(min: 0) * 2 + 1) / height - 1], 3);
        var sampled = nn.functional.grid_sample(
            feature.unsqueeze(0), grid.reshape(1, r * steps, steps, 2), mode: GridSampleMode.Bilinear,
            padding_mode: GridSamplePaddingMode.Border, align_corners: false); // [1, C, R·S, S]
        var c = feature.shape[0];
        var values = sampled.reshape(c, r, steps, steps) * inside.unsqueeze(0);
        return values.reshape(c, r, output, samplingRatio, output, samplingRatio).mean([3, 5]).permute(1, 0, 2, 3);
    }
}
