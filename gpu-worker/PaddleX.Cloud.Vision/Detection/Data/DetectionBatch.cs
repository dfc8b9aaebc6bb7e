using PaddleX.Cloud.Vision.Detection.Models;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>The annotations of one picture of a <see cref="DetectionBatch"/>, in input pixels.</summary>
/// <param name="Boxes">x1, y1, x2, y2 per object.</param>
/// <param name="InputWidth">the picture's size inside the padded batch (PaddleX <c>im_shape</c>).</param>
/// <param name="ScaleX">input pixels per original pixel (PaddleX <c>scale_factor</c>).</param>
/// <param name="Masks">per object, the mask of an RLE outline at the input size (null for objects without one).</param>
public sealed record DetectionAnnotations(
    long ImageId,
    float[] Boxes,
    int[] Labels,
    float[] Weights,
    bool[] Difficult,
    IReadOnlyList<float[]>?[]? Polygons,
    int OriginalWidth,
    int OriginalHeight,
    int InputWidth,
    int InputHeight,
    float ScaleX,
    float ScaleY,
    Inference.PictureMask?[]? Masks = null)
{
    public int Count => Labels.Length;
}

/// <summary>
/// A collated detection batch: pictures as float32 B×3×H×W (normalised; each one at the top-left corner, zero
/// padding to the batch's H×W) and, per picture, a variable number of objects.
/// </summary>
public sealed class DetectionBatch : Vision.Training.ITrainingBatch
{
    public DetectionBatch(int index, int height, int width, float[] images, IReadOnlyList<DetectionAnnotations> items)
    {
        if (images.Length != items.Count * 3 * height * width)
        {
            throw new ArgumentException("image buffer does not match B×3×H×W", nameof(images));
        }

        Index = index;
        Height = height;
        Width = width;
        Images = images;
        Items = items;
    }

    public int Index { get; }

    public int Count => Items.Count;

    public int Height { get; }

    public int Width { get; }

    public float[] Images { get; }

    public IReadOnlyList<DetectionAnnotations> Items { get; }

    /// <summary>Collates transformed items: the batch size is the largest picture, rounded up to
    /// <paramref name="padStride"/> when it is positive (PaddleX <c>_BatchPadding</c>).</summary>
    public static DetectionBatch Collate(int index, IReadOnlyList<DetectionItem> items, int padStride = 0)
    {
        if (items.Count == 0)
        {
            throw new ArgumentException("a batch needs at least one picture", nameof(items));
        }

        int h = items.Max(i => i.Image.Height), w = items.Max(i => i.Image.Width);
        if (padStride > 0)
        {
            h = (h + padStride - 1) / padStride * padStride;
            w = (w + padStride - 1) / padStride * padStride;
        }

        var images = new float[items.Count * 3 * h * w];
        var annotations = new DetectionAnnotations[items.Count];
        for (int b = 0; b < items.Count; b++)
        {
            DetectionItem item = items[b];
            item.Image.CopyInto(images.AsSpan(b * 3 * h * w, 3 * h * w), w, h, 0, 0);
            annotations[b] = new DetectionAnnotations(
                item.ImageId, item.Boxes, item.Labels, item.Weights, item.Difficult, item.Polygons,
                item.OriginalWidth, item.OriginalHeight, item.Image.Width, item.Image.Height, item.ScaleX, item.ScaleY, item.Masks);
        }

        return new DetectionBatch(index, h, w, images, annotations);
    }

    /// <summary>The pictures as a [B, 3, H, W] float32 tensor on <paramref name="device"/>.</summary>
    public Tensor ImagesTensor(Device device)
    {
        return tensor(Images, [Count, 3, Height, Width], ScalarType.Float32, device);
    }

    /// <summary>One <see cref="DetectionTarget"/> per picture: boxes [N, 4] float32, labels [N] int64, weights [N] float32,
    /// and — with <paramref name="masks"/> and outlines (polygons or RLE masks) in the data — instance masks [N, H, W] uint8 at the batch size.</summary>
    public IReadOnlyList<DetectionTarget> ToTargets(Device device, bool masks = false)
    {
        var targets = new List<DetectionTarget>(Count);
        foreach (DetectionAnnotations a in Items)
        {
            Tensor boxes = tensor(a.Boxes, [a.Count, 4], ScalarType.Float32, device);
            Tensor labels = tensor(a.Labels.Select(l => (long)l).ToArray(), [a.Count], ScalarType.Int64, device);
            Tensor weights = tensor(a.Weights, [a.Count], ScalarType.Float32, device);
            Tensor? maskTensor = null;
            if (masks && (a.Polygons is not null || a.Masks is not null))
            {
                var bytes = new byte[a.Count * Height * Width];
                for (int i = 0; i < a.Count; i++)
                {
                    Span<byte> plane = bytes.AsSpan(i * Height * Width, Height * Width);
                    if (a.Polygons?[i] is { } polygons)
                    {
                        PolygonClip.Fill(polygons, Width, Height, plane);
                    }
                    else if (a.Masks?[i] is { } mask)
                    {
                        // the picture sits at the batch's top-left corner, zero padding beyond it
                        MaskGeometry.Place(mask, Width, Height, 0, 0).Pixels.CopyTo(plane);
                    }
                }

                maskTensor = tensor(bytes, [a.Count, Height, Width], ScalarType.Byte, device);
            }

            targets.Add(new DetectionTarget(boxes, labels, weights, maskTensor));
        }

        return targets;
    }
}
