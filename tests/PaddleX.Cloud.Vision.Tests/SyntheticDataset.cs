using SkiaSharp;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>
/// A small 4-class image set written as PNG files plus labels.txt / train_list.txt / val_list.txt /
/// test_list.txt: red discs, green squares, blue triangles and yellow bars on a noisy grey background with
/// random size and position.
/// </summary>
public sealed class SyntheticDataset : IDisposable
{
    public static readonly string[] Labels = ["disc", "square", "triangle", "bar"];

    private readonly string[] _classes;
    private readonly Action<int, int, Random, string> _draw;

    /// <param name="classes">class names (default <see cref="Labels"/>) drawn by <paramref name="draw"/> (label, size, rng, png path).</param>
    public SyntheticDataset(int trainPerClass = 25, int valPerClass = 10, int testPerClass = 2, int size = 32, int seed = 7,
        string[]? classes = null, Action<int, int, Random, string>? draw = null)
    {
        _classes = classes ?? Labels;
        _draw = draw ?? Draw;
        Dir = Path.Combine(Path.GetTempPath(), "pdx-vision-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Dir);
        var rng = new Random(seed);
        File.WriteAllLines(Path.Combine(Dir, "labels.txt"), _classes);
        WriteSplit("train_list.txt", trainPerClass, size, rng);
        WriteSplit("val_list.txt", valPerClass, size, rng);
        WriteSplit("test_list.txt", testPerClass, size, rng);
    }

    public string Dir { get; }

    private void WriteSplit(string listName, int perClass, int size, Random rng)
    {
        var lines = new List<string>();
        string split = listName.Replace("_list.txt", "", StringComparison.Ordinal);
        for (int label = 0; label < _classes.Length; label++)
        {
            string folder = Path.Combine(Dir, _classes[label]);
            Directory.CreateDirectory(folder);
            for (int i = 0; i < perClass; i++)
            {
                string rel = $"{_classes[label]}/{split}_{i}.png";
                _draw(label, size, rng, Path.Combine(Dir, rel));
                lines.Add($"{rel} {label}");
            }
        }

        // Interleave classes the way a random split does.
        lines = lines.OrderBy(_ => rng.Next()).ToList();
        File.WriteAllLines(Path.Combine(Dir, listName), lines);
    }

    public static void Draw(int label, int size, Random rng, string path)
    {
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info);
        SKCanvas canvas = surface.Canvas;
        byte g = (byte)rng.Next(90, 150);
        canvas.Clear(new SKColor(g, g, g));
        using (var noise = new SKPaint { IsAntialias = false })
        {
            for (int k = 0; k < size * size / 8; k++)
            {
                byte n = (byte)rng.Next(60, 190);
                noise.Color = new SKColor(n, n, n);
                canvas.DrawRect(rng.Next(size), rng.Next(size), 1, 1, noise);
            }
        }

        float s = size * (0.25f + 0.15f * (float)rng.NextDouble());
        float cx = size / 2f + (float)(rng.NextDouble() - 0.5) * size * 0.3f;
        float cy = size / 2f + (float)(rng.NextDouble() - 0.5) * size * 0.3f;
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        switch (label)
        {
            case 0:
                paint.Color = new SKColor(220, 30, 30);
                canvas.DrawCircle(cx, cy, s, paint);
                break;
            case 1:
                paint.Color = new SKColor(30, 200, 40);
                canvas.DrawRect(cx - s, cy - s, 2 * s, 2 * s, paint);
                break;
            case 2:
                paint.Color = new SKColor(30, 60, 230);
                using (var tri = new SKPath())
                {
                    tri.MoveTo(cx, cy - s);
                    tri.LineTo(cx + s, cy + s);
                    tri.LineTo(cx - s, cy + s);
                    tri.Close();
                    canvas.DrawPath(tri, paint);
                }

                break;
            default:
                paint.Color = new SKColor(230, 220, 30);
                canvas.DrawRect(cx - s, cy - s / 3, 2 * s, 2 * s / 3, paint);
                break;
        }

        using SKImage image = surface.Snapshot();
        using SKData png = image.Encode(SKEncodedImageFormat.Png, 100);
        using FileStream fs = File.Create(path);
        png.SaveTo(fs);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Shared synthetic dataset (generated once per test class that asks for it).</summary>
public sealed class SyntheticDatasetFixture : IDisposable
{
    public SyntheticDataset Data { get; } = new();

    public void Dispose() => Data.Dispose();
}

internal static class TempDir
{
    public static string Create(string prefix = "pdx-out-") => TempFolders.Create(prefix);
}
