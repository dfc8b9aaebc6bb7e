using SkiaSharp;

namespace PaddleX.Cloud.Api.Tests.Infrastructure;

/// <summary>A 4-class picture set in label folders (the unsplit classification layout): red discs,
/// green squares, blue triangles and yellow bars of random size and place on a noisy background.</summary>
public static class ShapesDataset
{
    public static readonly string[] Labels = ["bar", "disc", "square", "triangle"];

    public static string Write(string folder, int perClass, int size = 32, int seed = 5)
    {
        var rng = new Random(seed);
        foreach (var label in Labels)
        {
            Directory.CreateDirectory(Path.Combine(folder, label));
            for (var i = 0; i < perClass; i++)
            {
                Draw(label, size, rng, Path.Combine(folder, label, $"{label}_{i}.png"));
            }
        }

        return folder;
    }

    private static void Draw(string label, int size, Random rng, string path)
    {
        using var surface = SKSurface.Create(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        var grey = (byte)rng.Next(90, 150);
        canvas.Clear(new SKColor(grey, grey, grey));
        using var paint = new SKPaint { IsAntialias = true };
        var s = (float)(size * rng.Next(35, 60) / 100.0);
        var x = (float)rng.Next(1, Math.Max(2, size - (int)s - 1));
        var y = (float)rng.Next(1, Math.Max(2, size - (int)s - 1));
        switch (label)
        {
            case "disc":
                paint.Color = new SKColor(220, 40, 40);
                canvas.DrawCircle(x + (s / 2), y + (s / 2), s / 2, paint);
                break;
            case "square":
                paint.Color = new SKColor(40, 200, 40);
                canvas.DrawRect(x, y, s, s, paint);
                break;
            case "triangle":
                paint.Color = new SKColor(40, 60, 230);
                using (var triangle = new SKPath())
                {
                    triangle.MoveTo(x + (s / 2), y);
                    triangle.LineTo(x + s, y + s);
                    triangle.LineTo(x, y + s);
                    triangle.Close();
                    canvas.DrawPath(triangle, paint);
                }

                break;
            default:
                paint.Color = new SKColor(230, 210, 30);
                canvas.DrawRect(x, y, s, s / 3, paint);
                break;
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
