using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Ops;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Inference;

/// <summary>One detected object in the pixels of the original picture.</summary>
public sealed record BoxDetection(int Label, float Score, float X1, float Y1, float X2, float Y2)
{
    /// <summary>COCO's <c>[x, y, w, h]</c>.</summary>
    public double[] Xywh => [X1, Y1, X2 - X1, Y2 - Y1];

    /// <summary>Runs <paramref name="detector"/> (in eval mode) on a collated batch and maps every box back to its
    /// original picture (divided by the resize scale, clipped to the picture), as PaddleX reports them.</summary>
    public static IReadOnlyList<IReadOnlyList<BoxDetection>> Detect(IDetector detector, DetectionBatch batch, Device device, DetectOptions options)
    {
        using var scope = NewDisposeScope();
        IReadOnlyList<Detections> raw = detector.Detect(batch.ImagesTensor(device), options);
        var result = new List<IReadOnlyList<BoxDetection>>(raw.Count);
        for (int i = 0; i < raw.Count; i++)
        {
            DetectionAnnotations a = batch.Items[i];
            float[] boxes = HostArrays.Of<float>(raw[i].Boxes, ScalarType.Float32);
            float[] scores = HostArrays.Of<float>(raw[i].Scores, ScalarType.Float32);
            long[] labels = HostArrays.Of<long>(raw[i].Labels, ScalarType.Int64);
            var list = new List<BoxDetection>(scores.Length);
            for (int k = 0; k < scores.Length; k++)
            {
                list.Add(InPicture(a, (int)labels[k], scores[k], boxes.AsSpan(k * 4, 4)));
            }

            result.Add(list);
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
