using PaddleX.Cloud.Vision.Detection.Models;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.PPYolo;

/// <summary>Generated detection images: one or two filled rectangles per image on dim noise, red for class 0 and
/// green for class 1, with their boxes as targets.</summary>
internal static class Shapes
{
    public static (Tensor Images, DetectionTarget[] Targets) Batch(int count, int size, int seed)
    {
        var rng = new Random(seed);
        var pixels = new float[count * 3 * size * size];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)(rng.NextDouble() * 0.2);
        }

        var targets = new DetectionTarget[count];
        for (var img = 0; img < count; img++)
        {
            var objects = 1 + rng.Next(2);
            var boxes = new List<float>();
            var labels = new List<long>();
            for (var o = 0; o < objects; o++)
            {
                int w = rng.Next(size / 4, size / 2), h = rng.Next(size / 4, size / 2);
                int x = rng.Next(0, size - w), y = rng.Next(0, size - h);
                var label = rng.Next(2);
                for (var yy = y; yy < y + h; yy++)
                {
                    for (var xx = x; xx < x + w; xx++)
                    {
                        pixels[(((img * 3) + label) * size + yy) * size + xx] = 1f;
                    }
                }

                boxes.AddRange([x, y, x + w, y + h]);
                labels.Add(label);
            }

            targets[img] = new DetectionTarget(tensor(boxes.ToArray()).view(-1, 4), tensor(labels.ToArray()));
        }

        var images = tensor(pixels).view(count, 3, size, size).sub(0.5).div(0.25);
        return (images, targets);
    }
}
