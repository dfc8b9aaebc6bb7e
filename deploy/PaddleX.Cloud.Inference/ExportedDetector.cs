using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;

namespace PaddleX.Cloud.Inference;

/// <summary>One detected object: class, score and box (x1, y1, x2, y2) in the picture's pixels; an instance-segmentation
/// model (Mask R-CNN) adds its mask pasted into the picture.</summary>
public sealed record DetectedObject(string Label, int Index, float Score, float X1, float Y1, float X2, float Y2, InstanceMask? Mask = null);

/// <summary>
/// Detects objects with an exported detection model, whose graph holds the post-processing (decoding, NMS): the
/// picture is resized to the input size (YOLO family) or by its short side and padded to the input size (R-CNN, when
/// model.json has <c>resize_by_short</c>); the boxes that come back are scaled to the picture.
/// </summary>
public sealed class ExportedDetector(string exportDir, SessionOptions? options = null)
    : ExportedModel(exportDir, options, "detection", "instance_segmentation")
{
    public IReadOnlyList<DetectedObject> Detect(string imagePath, float scoreThreshold = 0f)
    {
        using var bitmap = Decode(File.ReadAllBytes(imagePath));
        return Detect(bitmap, scoreThreshold);
    }

    public IReadOnlyList<DetectedObject> Detect(byte[] encoded, float scoreThreshold = 0f)
    {
        using var bitmap = Decode(encoded);
        return Detect(bitmap, scoreThreshold);
    }

    /// <summary>The detections with a score of at least <paramref name="scoreThreshold"/>, best first.</summary>
    public IReadOnlyList<DetectedObject> Detect(SKBitmap picture, float scoreThreshold = 0f)
    {
        int w = Info.InputSize[0], h = Info.InputSize[1];
        var (rw, rh) = Info.ResizeByShort is [var shortSide, var maxSide] ? ShortSideSize(picture.Width, picture.Height, shortSide, maxSide) : (w, h);
        if (rw > w || rh > h)
        {
            throw new InvalidDataException($"model.json: a picture resized by the short side ({rw}×{rh}) does not fit the input size {w}×{h}");
        }

        var data = new float[3 * w * h];
        Fill(picture, data, rw, rh, w, h);
        using var results = Session.Run([NamedOnnxValue.CreateFromTensor(Info.Input, new DenseTensor<float>(data, [1, 3, h, w]))]);
        var boxes = results.First(r => r.Name == "boxes").AsEnumerable<float>().ToArray();
        var scores = results.First(r => r.Name == "scores").AsEnumerable<float>().ToArray();
        var classes = results.First(r => r.Name == "classes").AsEnumerable<long>().ToArray();
        var masks = results.FirstOrDefault(r => r.Name == "masks")?.AsTensor<float>();
        var side = masks is null ? 0 : masks.Dimensions[^1];
        float sx = (float)picture.Width / rw, sy = (float)picture.Height / rh;
        var found = new List<DetectedObject>();
        for (var i = 0; i < scores.Length; i++)
        {
            if (scores[i] >= scoreThreshold)
            {
                var c = (int)classes[i];
                float x1 = boxes[i * 4] * sx, y1 = boxes[(i * 4) + 1] * sy, x2 = boxes[(i * 4) + 2] * sx, y2 = boxes[(i * 4) + 3] * sy;
                // The mask is pasted along the box the network saw (it may reach into the padding), cut at the picture.
                var mask = masks is null ? null : InstanceMask.Paste(((DenseTensor<float>)masks).Buffer.Span.Slice(i * side * side, side * side), side, x1, y1, x2, y2, picture.Width, picture.Height);
                found.Add(new DetectedObject(Info.Labels[c], c, scores[i],
                    Math.Min(x1, picture.Width), Math.Min(y1, picture.Height), Math.Min(x2, picture.Width), Math.Min(y2, picture.Height), mask));
            }
        }

        return found;
    }

    /// <summary>PaddleX's resize by the short side: the short side becomes <paramref name="shortSide"/> unless the long
    /// side would then pass <paramref name="maxSide"/>, in which case the long side becomes <paramref name="maxSide"/>.</summary>
    public static (int Width, int Height) ShortSideSize(int width, int height, int shortSide, int maxSide)
    {
        double scale = (double)shortSide / Math.Min(width, height);
        if (maxSide > 0 && Math.Round(scale * Math.Max(width, height)) > maxSide)
        {
            scale = (double)maxSide / Math.Max(width, height);
        }

        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }
}
