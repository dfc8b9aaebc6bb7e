using SkiaSharp;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>
/// Four texture classes in random colours — gratings at any angle and frequency, checkerboards, scattered dots and
/// smooth blobs — with pixel noise: a small set where ImageNet features help and few samples are not enough to
/// learn the filters from scratch.
/// </summary>
internal static class Textures
{
    public static readonly string[] Classes = ["grating", "checker", "dots", "blobs"];

    public static SyntheticDataset Create(int trainPerClass, int valPerClass, int size, int seed) =>
        new(trainPerClass, valPerClass, testPerClass: 1, size: size, seed: seed, classes: Classes, draw: Draw);

    private static void Draw(int label, int size, Random rng, string path)
    {
        var v = new float[size * size]; // 0 = background colour, 1 = foreground colour
        switch (label)
        {
            case 0:
                double f = 0.08 + 0.12 * rng.NextDouble(), angle = Math.PI * rng.NextDouble(), phase = 2 * Math.PI * rng.NextDouble();
                Fill(v, size, (x, y) => 0.5 + 0.5 * Math.Sin(2 * Math.PI * f * (x * Math.Cos(angle) + y * Math.Sin(angle)) + phase));
                break;
            case 1:
                int cell = rng.Next(4, 11), ox = rng.Next(cell), oy = rng.Next(cell);
                Fill(v, size, (x, y) => ((x + ox) / cell + (y + oy) / cell) % 2);
                break;
            case 2:
                var dots = Enumerable.Range(0, rng.Next(12, 30)).Select(_ => (X: rng.Next(size), Y: rng.Next(size), R: 1.5 + 3 * rng.NextDouble())).ToArray();
                Fill(v, size, (x, y) => dots.Any(d => (x - d.X) * (x - d.X) + (y - d.Y) * (y - d.Y) <= d.R * d.R) ? 1 : 0);
                break;
            default:
                var grid = new double[6, 6];
                for (int i = 0; i < 6; i++)
                {
                    for (int j = 0; j < 6; j++)
                    {
                        grid[i, j] = rng.NextDouble();
                    }
                }

                Fill(v, size, (x, y) => Bilinear(grid, x * 5.0 / (size - 1), y * 5.0 / (size - 1)));
                break;
        }

        var fg = new[] { rng.Next(256), rng.Next(256), rng.Next(256) };
        var bg = new[] { rng.Next(256), rng.Next(256), rng.Next(256) };
        using var bitmap = new SKBitmap(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                float t = v[y * size + x];
                byte C(int c) => (byte)Math.Clamp(bg[c] + (fg[c] - bg[c]) * t + rng.Next(-20, 21), 0, 255);
                bitmap.SetPixel(x, y, new SKColor(C(0), C(1), C(2)));
            }
        }

        using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using FileStream fs = File.Create(path);
        png.SaveTo(fs);
    }

    private static void Fill(float[] v, int size, Func<int, int, double> value)
    {
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                v[y * size + x] = (float)value(x, y);
            }
        }
    }

    private static double Bilinear(double[,] g, double x, double y)
    {
        int x0 = Math.Min((int)x, 4), y0 = Math.Min((int)y, 4);
        double fx = x - x0, fy = y - y0;
        return (g[x0, y0] * (1 - fx) + g[x0 + 1, y0] * fx) * (1 - fy) + (g[x0, y0 + 1] * (1 - fx) + g[x0 + 1, y0 + 1] * fx) * fy;
    }
}
