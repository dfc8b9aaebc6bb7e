using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// RoIAlign from libtorch ops, for any device: the sample positions, clamped to the map by RoIAlign's rules, go to
/// <c>grid_sample</c> (whose bilinear read of a clamped position is RoIAlign's) and <c>avg_pool2d</c> averages each bin.
/// Boxes are grouped by image and sampling grid, so the adaptive mode (a grid per box) samples no padding; the
/// backward is grid_sample's.
/// </summary>
internal static class RoiAlignGridSample
{
    /// <summary>A grid position whose four neighbours are all off the map: grid_sample's zero padding reads 0 there,
    /// which is RoIAlign's value for samples more than one cell outside.</summary>
    private const float Outside = -8f;

    public static Tensor Pool(IReadOnlyList<Tensor> features, RoiBins[] bins, int[] levelOf, int outputHeight, int outputWidth)
    {
        Tensor first = features[0];
        long channels = first.shape[1];
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
                    bool outside = !RoiBins.Inside(y, x, height, width);
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

    /// <summary>RoIAlign's clamped sample position as grid_sample's [−1, 1] (align_corners: −1 is cell 0, 1 the last
    /// cell); computed in double so grid_sample's way back lands on the same position to float precision.</summary>
    private static float Normalize(float p, long size)
    {
        p = RoiBins.ClampToMap(p, size);
        return size > 1 ? (float)(p * 2.0 / (size - 1) - 1.0) : -1f;
    }
}
