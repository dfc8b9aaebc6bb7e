using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Metrics;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Ops;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Inference;

/// <summary>One detected object in the pixels of the original picture.</summary>
public sealed record BoxDetection(int Label, float Score, float X1, float Y1, float X2, float Y2)
{
    /// <summary>Probability above which a pixel belongs to a detected instance.</summary>
    public const double MaskThreshold = 0.5;

    /// <summary>COCO's <c>[x, y, w, h]</c>.</summary>
    public double[] Xywh => [X1, Y1, X2 - X1, Y2 - Y1];

    /// <summary>Instance segmentation: the object's pixels in the original picture; null for box-only detectors.</summary>
    public Rle? Mask { get; init; }

    /// <summary>Runs <paramref name="detector"/> (in eval mode) on a collated batch and maps every box back to its
    /// original picture (divided by the resize scale, clipped to the picture), as PaddleX reports them. A detector
    /// with masks runs one picture at a time (its masks have the batch's size, K of them per picture) and each mask
    /// is resized from the picture's part of the input to the original size and cut at <see cref="MaskThreshold"/>.</summary>
    public static IReadOnlyList<IReadOnlyList<BoxDetection>> Detect(IDetector detector, DetectionBatch batch, Device device, DetectOptions options)
    {
        using var scope = NewDisposeScope();
        var images = batch.ImagesTensor(device);
        if (!detector.ProducesMasks)
        {
            IReadOnlyList<Detections> raw = detector.Detect(images, options);
            return raw.Select((r, i) => ToOriginal(r, batch.Items[i], null)).ToList();
        }

        var result = new List<IReadOnlyList<BoxDetection>>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            using var picture = NewDisposeScope();
            Detections raw = detector.Detect(images.narrow(0, i, 1), options)[0];
            DetectionAnnotations a = batch.Items[i];
            result.Add(ToOriginal(raw, a, OriginalMasks(raw.Masks ?? throw new InvalidOperationException($"{detector.Architecture} returned no masks"), a)));
        }

        return result;
    }

    private static List<BoxDetection> ToOriginal(Detections raw, DetectionAnnotations a, Rle[]? masks)
    {
        float[] boxes = HostArrays.Of<float>(raw.Boxes, ScalarType.Float32);
        float[] scores = HostArrays.Of<float>(raw.Scores, ScalarType.Float32);
        long[] labels = HostArrays.Of<long>(raw.Labels, ScalarType.Int64);
        var list = new List<BoxDetection>(scores.Length);
        for (int k = 0; k < scores.Length; k++)
        {
            list.Add(InPicture(a, (int)labels[k], scores[k], boxes.AsSpan(k * 4, 4)) with { Mask = masks?[k] });
        }

        return list;
    }

    /// <summary>Masks [K, H, W] at the batch's size → one RLE per mask at the original picture's size.</summary>
    internal static Rle[] OriginalMasks(Tensor masks, DetectionAnnotations a)
    {
        long count = masks.shape[0];
        if (count == 0)
        {
            return [];
        }

        using var scope = NewDisposeScope();
        int h = a.OriginalHeight, w = a.OriginalWidth;
        var region = masks[.., ..a.InputHeight, ..a.InputWidth].unsqueeze(1);
        var resized = functional.interpolate(region, [h, w], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(1);
        byte[] columnMajor = HostArrays.Of<byte>((resized > MaskThreshold).transpose(1, 2), ScalarType.Byte);
        var result = new Rle[count];
        for (int k = 0; k < count; k++)
        {
            result[k] = CocoMask.Encode(columnMajor.AsSpan(k * h * w, h * w), h, w);
        }

        return result;
    }

    /// <summary>A box in input pixels (x1, y1, x2, y2) mapped back to the original picture of <paramref name="a"/>.</summary>
    public static BoxDetection InPicture(DetectionAnnotations a, int label, float score, ReadOnlySpan<float> box) =>
        new(label, score,
            Math.Clamp(box[0] / a.ScaleX, 0, a.OriginalWidth),
            Math.Clamp(box[1] / a.ScaleY, 0, a.OriginalHeight),
            Math.Clamp(box[2] / a.ScaleX, 0, a.OriginalWidth),
            Math.Clamp(box[3] / a.ScaleY, 0, a.OriginalHeight));
}
