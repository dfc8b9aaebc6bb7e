using PaddleX.Cloud.Vision.Detection.Models;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Yolo;

/// <summary>Image tensors with solid rectangles whose colour is the class (red, green, blue) on a grey
/// background: enough to exercise a detector without the data pipeline.</summary>
internal static class DrawnBoxes
{
    public static (Tensor Images, List<DetectionTarget> Targets) Batch(int seed, int count, int size, int maxObjects = 2)
    {
        var rng = new Random(seed);
        var data = new float[count * 3 * size * size];
        Array.Fill(data, -0.5f);
        var targets = new List<DetectionTarget>();
        for (int i = 0; i < count; i++)
        {
            int n = rng.Next(1, maxObjects + 1);
            var boxes = new List<float>();
            var labels = new List<long>();
            for (int k = 0; k < n; k++)
            {
                int w = rng.Next(size / 5, size / 2), h = rng.Next(size / 5, size / 2);
                int x = rng.Next(0, size - w), y = rng.Next(0, size - h);
                int c = rng.Next(3);
                for (int ch = 0; ch < 3; ch++)
                {
                    for (int yy = y; yy < y + h; yy++)
                    {
                        Array.Fill(data, ch == c ? 1.5f : -1.5f, ((i * 3 + ch) * size + yy) * size + x, w);
                    }
                }

                boxes.AddRange([x, y, x + w, y + h]);
                labels.Add(c);
            }

            targets.Add(new DetectionTarget(tensor(boxes.ToArray()).reshape(n, 4), tensor(labels.ToArray())));
        }

        return (tensor(data).reshape(count, 3, size, size), targets);
    }
}
