using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// Anchors of one feature level: for every cell (row-major) the <see cref="PerCell"/> boxes of each aspect ratio
/// (h/w) and size (√area), centred on the cell's top-left input pixel × stride, rounded to whole pixels.
/// </summary>
internal sealed class AnchorGrid
{
    private readonly float[] cell;

    public AnchorGrid(IReadOnlyList<double> sizes, IReadOnlyList<double> aspectRatios, long stride)
    {
        Stride = stride;
        var list = new List<float>();
        foreach (var ratio in aspectRatios)
        {
            var h = Math.Sqrt(ratio);
            foreach (var size in sizes)
            {
                var halfW = size / h / 2;
                var halfH = size * h / 2;
                list.AddRange([(float)Math.Round(-halfW), (float)Math.Round(-halfH), (float)Math.Round(halfW), (float)Math.Round(halfH)]);
            }
        }

        cell = list.ToArray();
        PerCell = cell.Length / 4;
    }

    public long Stride { get; }

    public int PerCell { get; }

    /// <summary>[H·W·A, 4] anchors for a feature map of <paramref name="height"/> × <paramref name="width"/>.</summary>
    public Tensor For(long height, long width, Device device)
    {
        using var scope = NewDisposeScope();
        var xs = arange(width, dtype: float32, device: device) * Stride;
        var ys = arange(height, dtype: float32, device: device) * Stride;
        var grid = meshgrid([ys, xs], indexing: "ij");
        var (y, x) = (grid[0].reshape(-1), grid[1].reshape(-1));
        var shifts = stack([x, y, x, y], 1);
        var baseAnchors = tensor(cell, device: device).reshape(-1, 4);
        return (shifts.unsqueeze(1) + baseAnchors.unsqueeze(0)).reshape(-1, 4).MoveToOuterDisposeScope();
    }
}
