using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// RoIAlign with torchvision's results (<c>ops.roi_align</c>: the same sample positions, border rules, adaptive
/// sampling grid and averaging), differentiable with respect to the feature map, on any device.
/// </summary>
/// <remarks>
/// The sample positions are computed on the CPU from the boxes, step for step as torchvision's kernel does in single
/// precision, and clamped to the map by its rules. libtorch's <c>grid_sample</c> then reads all samples of a group of
/// boxes in one call (its bilinear read of a clamped position is RoIAlign's) and <c>avg_pool2d</c> averages each bin.
/// Boxes are grouped by image and sampling grid, so the adaptive mode (a grid per box) samples no padding. The backward
/// is grid_sample's, which is torchvision's gradient scatter; boxes get no gradient, as in torchvision.
/// </remarks>
public static class RoiAlign
{
    /// <summary>[K, C, <paramref name="outputHeight"/>, <paramref name="outputWidth"/>] features of the boxes
    /// <paramref name="rois"/> ([K, 5]: batch index, x1, y1, x2, y2 in input pixels) on <paramref name="input"/>
    /// ([B, C, H, W], whose cell size is 1/<paramref name="spatialScale"/> input pixels). <paramref name="samplingRatio"/>
    /// ≤ 0 samples ceil(bin size) points per bin side; <paramref name="aligned"/> shifts boxes by half a cell.</summary>
    public static Tensor Apply(Tensor input, Tensor rois, int outputHeight, int outputWidth, double spatialScale, int samplingRatio, bool aligned)
    {
        if (input.dim() != 4)
        {
            throw new ArgumentException($"input must be [B, C, H, W], got [{string.Join(", ", input.shape)}]", nameof(input));
        }

        if (rois.dim() != 2 || rois.shape[1] != 5)
        {
            throw new ArgumentException($"rois must be [K, 5] (batch index, x1, y1, x2, y2), got [{string.Join(", ", rois.shape)}]", nameof(rois));
        }

        float[] r = Nms.ToArray<float>(rois, ScalarType.Float32);
        return Pool([input], [spatialScale], r, new int[r.Length / 5], outputHeight, outputWidth, samplingRatio, aligned);
    }

    /// <summary>Pools roi i (<paramref name="rois"/>[5i..5i+5]) from level <paramref name="levelOf"/>[i] of
    /// <paramref name="features"/> ([B, C, H_l, W_l], one channel count) whose scale is <paramref name="scales"/>[l].</summary>
    internal static Tensor Pool(IReadOnlyList<Tensor> features, double[] scales, float[] rois, int[] levelOf,
        int outputHeight, int outputWidth, int samplingRatio, bool aligned)
    {
        if (outputHeight <= 0 || outputWidth <= 0)
        {
            throw new ArgumentException($"output size must be positive, got {outputHeight}×{outputWidth}");
        }

        Tensor first = features[0];
        long channels = first.shape[1];
        var bins = new RoiBins[levelOf.Length];
        for (int i = 0; i < bins.Length; i++)
        {
            Tensor f = features[levelOf[i]];
            bins[i] = RoiBins.Of(i, rois.AsSpan(5 * i, 5), f.shape[0], scales[levelOf[i]], outputHeight, outputWidth, samplingRatio, aligned);
        }

        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        var order = new List<long>();
        foreach (var group in Enumerable.Range(0, bins.Length).GroupBy(i => (levelOf[i], bins[i].Batch, bins[i].GridH, bins[i].GridW)))
        {
            int[] members = group.ToArray();
            var (level, b, gridH, gridW) = group.Key;
            parts.Add(gridH <= 0 || gridW <= 0
                ? zeros([members.Length, channels, outputHeight, outputWidth], first.dtype, first.device)
                : SampleGroup(features[level].narrow(0, b, 1), members.Select(i => bins[i]).ToArray(), gridH, gridW));
            order.AddRange(members.Select(i => (long)i));
        }

        if (parts.Count == 0)
        {
            return zeros([0, channels, outputHeight, outputWidth], first.dtype, first.device).MoveToOuterDisposeScope();
        }

        var pooled = parts.Count == 1 ? parts[0] : cat(parts, 0);
        long[] inverse = new long[order.Count];
        for (int i = 0; i < inverse.Length; i++)
        {
            inverse[order[i]] = i;
        }

        return pooled.index_select(0, tensor(inverse, ScalarType.Int64, first.device)).MoveToOuterDisposeScope();
    }

    /// <summary>Boxes of one image and one sampling grid: one grid_sample over all their samples, then the mean of
    /// each bin's samples → [n, C, oh, ow].</summary>
    private static Tensor SampleGroup(Tensor image, RoiBins[] boxes, int gridH, int gridW)
    {
        long height = image.shape[2], width = image.shape[3], channels = image.shape[1];
        int oh = boxes[0].OutputHeight, ow = boxes[0].OutputWidth, n = boxes.Length;
        int rowsPerBox = oh * gridH, columnsPerBox = ow * gridW;
        var grid = new float[n * rowsPerBox * columnsPerBox * 2];
        Span<float> ys = stackalloc float[rowsPerBox];
        Span<float> xs = stackalloc float[columnsPerBox];
        for (int j = 0; j < n; j++)
        {
            boxes[j].SamplePositions(ys, xs);
            for (int r = 0; r < rowsPerBox; r++)
            {
                for (int c = 0; c < columnsPerBox; c++)
                {
                    int at = 2 * ((j * rowsPerBox + r) * columnsPerBox + c);
                    float y = ys[r], x = xs[c];
                    bool outside = y < -1.0f || y > height || x < -1.0f || x > width;
                    grid[at] = outside ? Outside : Normalize(x, width);
                    grid[at + 1] = outside ? Outside : Normalize(y, height);
                }
            }
        }

        var gridT = tensor(grid, ScalarType.Float32).reshape(1, n * rowsPerBox, columnsPerBox, 2).to(image.dtype, image.device);
        var samples = F.grid_sample(image, gridT, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: true);
        var bins = gridH * gridW == 1 ? samples : F.avg_pool2d(samples, [gridH, gridW]);
        return bins.view(channels, n, oh, ow).permute(1, 0, 2, 3);
    }

    /// <summary>RoIAlign's clamping of a sample position to the map (within one cell of its edge), then grid_sample's
    /// [−1, 1] (align_corners: −1 is cell 0, 1 the last cell); computed in double so grid_sample's way back lands on
    /// the same position to float precision.</summary>
    private static float Normalize(float p, long size)
    {
        p = MathF.Max(p, 0);
        if ((long)p >= size - 1)
        {
            return 1f;
        }

        return (float)(p * 2.0 / (size - 1) - 1.0);
    }

    /// <summary>A grid position whose four neighbours are all off the map: grid_sample's zero padding reads 0 there,
    /// which is RoIAlign's value for samples more than one cell outside.</summary>
    private const float Outside = -8f;
}
