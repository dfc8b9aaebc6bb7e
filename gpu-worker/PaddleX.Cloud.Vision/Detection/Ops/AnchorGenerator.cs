using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// Anchors of a feature pyramid (torchvision <c>AnchorGenerator</c>): per level, one base box per (aspect ratio, size)
/// pair — ratio-major, each of area size² and height/width = ratio, centred on 0 and rounded — repeated at every cell,
/// cell-major, with the level's stride = image size ÷ grid size (integer division, per axis).
/// </summary>
public sealed class AnchorGenerator
{
    private readonly Tensor[] cellAnchors;

    /// <param name="sizes">Anchor sizes (square side in input pixels) per level, e.g. [[32], [64], [128], [256], [512]] for an FPN.</param>
    /// <param name="aspectRatios">Height/width ratios per level, e.g. [0.5, 1, 2] for each level.</param>
    public AnchorGenerator(IReadOnlyList<double[]> sizes, IReadOnlyList<double[]> aspectRatios)
    {
        if (sizes.Count == 0 || sizes.Count != aspectRatios.Count || sizes.Any(s => s.Length == 0) || aspectRatios.Any(r => r.Length == 0))
        {
            throw new ArgumentException($"need the same number (≥ 1) of non-empty size and aspect-ratio lists, got {sizes.Count} and {aspectRatios.Count}");
        }

        cellAnchors = sizes.Zip(aspectRatios, BaseAnchors).ToArray();
        NumAnchorsPerLocation = sizes.Zip(aspectRatios, (s, r) => s.Length * r.Length).ToArray();
    }

    /// <summary>Anchors per cell of each level (sizes × ratios).</summary>
    public IReadOnlyList<int> NumAnchorsPerLocation { get; }

    /// <summary>Each level's anchors [H_l·W_l·A_l, 4] (cell-major, row by row) for an input of
    /// <paramref name="imageSize"/> (the padded batch size) and feature maps of <paramref name="gridSizes"/>.</summary>
    public Tensor[] GridAnchors(IReadOnlyList<(long Height, long Width)> gridSizes, (long Height, long Width) imageSize, Device? device = null)
    {
        if (gridSizes.Count != cellAnchors.Length)
        {
            throw new ArgumentException($"{gridSizes.Count} feature maps for an anchor generator of {cellAnchors.Length} levels", nameof(gridSizes));
        }

        var result = new Tensor[gridSizes.Count];
        for (int l = 0; l < gridSizes.Count; l++)
        {
            using var scope = NewDisposeScope();
            var (gh, gw) = gridSizes[l];
            long strideH = imageSize.Height / gh, strideW = imageSize.Width / gw;
            var shiftsX = arange(0, gw, ScalarType.Int64, device) * strideW;
            var shiftsY = arange(0, gh, ScalarType.Int64, device) * strideH;
            var mesh = meshgrid([shiftsY, shiftsX], indexing: "ij");
            var sy = mesh[0].reshape(-1);
            var sx = mesh[1].reshape(-1);
            var shifts = stack([sx, sy, sx, sy], 1);
            var anchors = shifts.view(-1, 1, 4) + cellAnchors[l].to(device ?? CPU).view(1, -1, 4);
            result[l] = anchors.reshape(-1, 4).MoveToOuterDisposeScope();
        }

        return result;
    }

    /// <summary>All levels' anchors of one image, concatenated in level order: [Σ H_l·W_l·A_l, 4].</summary>
    public Tensor Generate(IReadOnlyList<(long Height, long Width)> gridSizes, (long Height, long Width) imageSize, Device? device = null)
    {
        var levels = GridAnchors(gridSizes, imageSize, device);
        var all = cat(levels, 0);
        foreach (var level in levels)
        {
            level.Dispose();
        }

        return all;
    }

    private static Tensor BaseAnchors(double[] sizes, double[] aspectRatios)
    {
        using var scope = NewDisposeScope();
        var scales = tensor(sizes.Select(s => (float)s).ToArray());
        var hRatios = tensor(aspectRatios.Select(r => (float)r).ToArray()).sqrt();
        var wRatios = 1 / hRatios;
        var ws = (wRatios.unsqueeze(1) * scales.unsqueeze(0)).view(-1);
        var hs = (hRatios.unsqueeze(1) * scales.unsqueeze(0)).view(-1);
        return (stack([-ws, -hs, ws, hs], 1) / 2).round().MoveToOuterDisposeScope();
    }
}
