using System.Text.Json;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Metrics;

namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>
/// A picture on its way through the detection transforms, with everything that must move with its pixels: boxes
/// (x1, y1, x2, y2 per object, in the current picture's pixels), labels, per-box weights (mixup shares),
/// difficult flags and outlines (polygons per object, or a bitmap mask for an RLE outline, or neither). Transforms replace the
/// picture and the arrays; <see cref="ScaleX"/>/<see cref="ScaleY"/> accumulate the resize factors (PaddleX's
/// <c>scale_factor</c>), so predictions map back to the original picture.
/// </summary>
public sealed class DetectionItem
{
    public DetectionItem(PlanarImage image, float[] boxes, int[] labels, float[]? weights = null, bool[]? difficult = null, IReadOnlyList<float[]>?[]? polygons = null, PictureMask?[]? masks = null)
    {
        int n = labels.Length;
        if (boxes.Length != 4 * n)
        {
            throw new ArgumentException($"{n} labels need {4 * n} box values, got {boxes.Length}", nameof(boxes));
        }

        Image = image;
        Boxes = boxes;
        Labels = labels;
        Weights = weights ?? Enumerable.Repeat(1f, n).ToArray();
        Difficult = difficult ?? new bool[n];
        Polygons = polygons;
        Masks = masks;
        OriginalWidth = image.Width;
        OriginalHeight = image.Height;
    }

    public PlanarImage Image { get; set; }

    public float[] Boxes { get; private set; }

    public int[] Labels { get; private set; }

    public float[] Weights { get; private set; }

    public bool[] Difficult { get; private set; }

    /// <summary>Per object: its polygons (x0, y0, x1, y1, …) in the current picture's pixels; null when the data has no outlines.</summary>
    public IReadOnlyList<float[]>?[]? Polygons { get; private set; }

    /// <summary>Per object: its RLE outline decoded to a mask the size of the current picture (null for an object
    /// without one); null when no object has an RLE outline.</summary>
    public PictureMask?[]? Masks { get; private set; }

    public long ImageId { get; init; }

    public int OriginalWidth { get; init; }

    public int OriginalHeight { get; init; }

    public float ScaleX { get; set; } = 1;

    public float ScaleY { get; set; } = 1;

    public int Count => Labels.Length;

    /// <summary>The training objects of a dataset sample on its decoded picture (crowd regions left out, as PaddleX
    /// trains); polygon outlines move as points, RLE outlines as decoded masks.</summary>
    public static DetectionItem From(DetectionSample sample, PlanarImage image)
    {
        var objects = sample.TrainObjects.ToList();
        bool outlines = objects.Any(o => o.Polygons is not null);
        bool rles = objects.Any(o => o.Polygons is null && o.Rle is not null);
        return new DetectionItem(
            image,
            objects.SelectMany(o => new[] { o.X1, o.Y1, o.X2, o.Y2 }).ToArray(),
            objects.Select(o => o.Label).ToArray(),
            difficult: objects.Select(o => o.Difficult).ToArray(),
            polygons: outlines ? objects.Select(o => o.Polygons).ToArray() : null,
            masks: rles ? objects.Select(o => o.Polygons is null && o.Rle is not null ? RleMask(o, image) : null).ToArray() : null)
        {
            ImageId = sample.ImageId,
            OriginalWidth = sample.Width,
            OriginalHeight = sample.Height,
        };
    }

    /// <summary>Keeps the objects at <paramref name="keep"/> (in that order) with <paramref name="boxes"/> as their new
    /// boxes and <paramref name="polygons"/> as their outlines; their masks are kept as they are.</summary>
    public void Keep(IReadOnlyList<int> keep, float[] boxes, IReadOnlyList<float[]>?[]? polygons)
    {
        Masks = Masks is { } masks ? keep.Select(i => masks[i]).ToArray() : null;
        Boxes = boxes;
        Labels = keep.Select(i => Labels[i]).ToArray();
        Weights = keep.Select(i => Weights[i]).ToArray();
        Difficult = keep.Select(i => Difficult[i]).ToArray();
        Polygons = polygons;
    }

    /// <summary>Appends <paramref name="other"/>'s objects (mixup): its boxes and masks must already be in this picture's pixels.</summary>
    public void Append(DetectionItem other, float ownWeight, float otherWeight)
    {
        IReadOnlyList<float[]>?[]? polygons = Polygons is null && other.Polygons is null
            ? null
            : [.. Polygons ?? new IReadOnlyList<float[]>?[Count], .. other.Polygons ?? new IReadOnlyList<float[]>?[other.Count]];
        PictureMask?[]? masks = Masks is null && other.Masks is null
            ? null
            : [.. Masks ?? new PictureMask?[Count], .. other.Masks ?? new PictureMask?[other.Count]];
        Boxes = [.. Boxes, .. other.Boxes];
        Labels = [.. Labels, .. other.Labels];
        Weights = [.. Weights.Select(w => w * ownWeight), .. other.Weights.Select(w => w * otherWeight)];
        Difficult = [.. Difficult, .. other.Difficult];
        Polygons = polygons;
        Masks = masks;
    }

    /// <summary>Applies a pixel move to every object mask (points move by <see cref="MapPoints"/>).</summary>
    internal void MapMasks(Func<PictureMask, PictureMask> move)
    {
        if (Masks is { } masks)
        {
            for (int i = 0; i < masks.Length; i++)
            {
                masks[i] = masks[i] is { } m ? move(m) : null;
            }
        }
    }

    /// <summary>Applies <paramref name="map"/> to every box corner and polygon point (a mirroring map swaps a box's corners back into order).</summary>
    internal void MapPoints(Func<float, float, (float X, float Y)> map)
    {
        for (int i = 0; i < Count; i++)
        {
            var (ax, ay) = map(Boxes[4 * i], Boxes[(4 * i) + 1]);
            var (bx, by) = map(Boxes[(4 * i) + 2], Boxes[(4 * i) + 3]);
            Boxes[4 * i] = Math.Min(ax, bx);
            Boxes[(4 * i) + 1] = Math.Min(ay, by);
            Boxes[(4 * i) + 2] = Math.Max(ax, bx);
            Boxes[(4 * i) + 3] = Math.Max(ay, by);
        }

        if (Polygons is null)
        {
            return;
        }

        for (int i = 0; i < Polygons.Length; i++)
        {
            Polygons[i] = Polygons[i]?.Select(p =>
            {
                var q = new float[p.Length];
                for (int k = 0; k + 1 < p.Length; k += 2)
                {
                    (q[k], q[k + 1]) = map(p[k], p[k + 1]);
                }

                return q;
            }).ToList();
        }
    }

    /// <summary>An RLE outline as a mask of the decoded picture; one whose size is not the picture's is resized to it
    /// (it annotates the same picture).</summary>
    private static PictureMask RleMask(DetectionObject o, PlanarImage image)
    {
        var segmentation = o.Rle.Deserialize<CocoSegmentation>() ?? throw new InvalidDataException("an RLE segmentation is null");
        PictureMask mask = PictureMask.FromRle(segmentation.ToRle(image.Height, image.Width));
        return mask.Width == image.Width && mask.Height == image.Height ? mask : MaskGeometry.Resize(mask, image.Width, image.Height);
    }
}
