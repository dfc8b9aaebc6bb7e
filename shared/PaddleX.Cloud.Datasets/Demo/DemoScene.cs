using SkiaSharp;

namespace PaddleX.Cloud.Datasets.Demo;

/// <summary>One synthetic picture: a few flat shapes (circle, square, triangle) on a noisy
/// background. The same polygons give the pixels, the class mask and the annotations, so labels
/// match the picture exactly.</summary>
internal sealed class DemoScene
{
    public static readonly string[] Classes = ["circle", "square", "triangle"];

    private static readonly SKColor[] Palette =
    [
        new(220, 60, 50), new(60, 170, 70), new(50, 90, 210), new(230, 190, 40), new(160, 70, 190), new(40, 180, 190),
    ];

    private DemoScene(int width, int height, IReadOnlyList<DemoShape> shapes, int seed)
    {
        Width = width;
        Height = height;
        Shapes = shapes;
        Seed = seed;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Back to front: a later shape covers an earlier one.</summary>
    public IReadOnlyList<DemoShape> Shapes { get; }

    private int Seed { get; }

    /// <summary>A scene of <paramref name="count"/> shapes; <paramref name="onlyClass"/> forces every shape's class.
    /// <paramref name="separate"/> re-draws the place of a shape whose box would touch an earlier one (up to 30 tries),
    /// so every object stays fully visible — what a detector's ground truth needs.</summary>
    public static DemoScene Random(Random random, int width, int height, int count, int? onlyClass = null, bool separate = false)
    {
        var shapes = new List<DemoShape>();
        var small = Math.Min(width, height);
        for (var i = 0; i < count; i++)
        {
            var cls = onlyClass ?? random.Next(Classes.Length);
            double radius, cx, cy;
            var tries = 0;
            do
            {
                radius = small * (count == 1 ? 0.22 + (random.NextDouble() * 0.14) : 0.12 + (random.NextDouble() * 0.1));
                cx = radius + 1 + (random.NextDouble() * (width - (2 * radius) - 2));
                cy = radius + 1 + (random.NextDouble() * (height - (2 * radius) - 2));
            }
            while (separate && ++tries < 30 && shapes.Any(s => Touches(s.Box, cx, cy, radius * 1.2)));

            var angle = random.NextDouble() * Math.PI;
            // Each class has its two colours, as real classes have typical looks: a small network
            // learns them in a few epochs on a CPU.
            shapes.Add(new DemoShape(cls, Polygon(cls, cx, cy, radius, angle), Palette[cls + (Classes.Length * random.Next(2))]));
        }

        return new DemoScene(width, height, shapes, random.Next());
    }

    private static bool Touches((double X1, double Y1, double X2, double Y2) box, double cx, double cy, double reach) =>
        cx + reach > box.X1 - 2 && cx - reach < box.X2 + 2 && cy + reach > box.Y1 - 2 && cy - reach < box.Y2 + 2;

    /// <summary>Class index + 1 of the topmost shape at each pixel, 0 for the background.</summary>
    public byte[] Mask()
    {
        var mask = new byte[Width * Height];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var top = TopShape(x + 0.5, y + 0.5);
                mask[(y * Width) + x] = (byte)(top is null ? 0 : top.Class + 1);
            }
        }

        return mask;
    }

    /// <summary>Interleaved 8-bit samples, <paramref name="bands"/> per pixel: RGB, then (remote
    /// sensing) a near-infrared-like band that is bright on shapes and dark on the background.</summary>
    public byte[] Pixels(int bands)
    {
        var noise = new Random(Seed);
        var grey = (byte)noise.Next(90, 150);
        var background = new SKColor(grey, grey, grey);
        var pixels = new byte[Width * Height * bands];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var top = TopShape(x + 0.5, y + 0.5);
                var colour = top?.Colour ?? background;
                var offset = ((y * Width) + x) * bands;
                var jitter = noise.Next(-12, 13);
                pixels[offset] = Clamp(colour.Red + jitter);
                pixels[offset + 1] = Clamp(colour.Green + jitter);
                pixels[offset + 2] = Clamp(colour.Blue + jitter);
                for (var b = 3; b < bands; b++)
                {
                    pixels[offset + b] = Clamp((top is null ? 40 : 200 - (top.Class * 30)) + jitter);
                }
            }
        }

        return pixels;
    }

    public void SaveJpeg(string path) => Save(path, SKEncodedImageFormat.Jpeg, 92);

    /// <summary>Lossless: pixel colours stay exactly as drawn.</summary>
    public void SavePng(string path) => Save(path, SKEncodedImageFormat.Png, 100);

    private void Save(string path, SKEncodedImageFormat format, int quality)
    {
        var rgb = Pixels(3);
        using var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = new byte[Width * Height * 4];
        for (var i = 0; i < Width * Height; i++)
        {
            rgba[i * 4] = rgb[i * 3];
            rgba[(i * 4) + 1] = rgb[(i * 3) + 1];
            rgba[(i * 4) + 2] = rgb[(i * 3) + 2];
            rgba[(i * 4) + 3] = 255;
        }

        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(format, quality);
        WriteAll(path, data.ToArray());
    }

    /// <summary>An 8-bit single-channel PNG of <see cref="Mask"/>: the label map of a segmentation dataset.</summary>
    public void SaveMaskPng(string path)
    {
        var mask = Mask();
        using var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Gray8, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(mask, 0, bitmap.GetPixels(), mask.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        WriteAll(path, data.ToArray());
    }

    private DemoShape? TopShape(double x, double y)
    {
        for (var i = Shapes.Count - 1; i >= 0; i--)
        {
            if (Shapes[i].Contains(x, y))
            {
                return Shapes[i];
            }
        }

        return null;
    }

    private static (double X, double Y)[] Polygon(int cls, double cx, double cy, double radius, double angle)
    {
        var corners = Classes[cls] switch
        {
            "circle" => 24,
            "square" => 4,
            _ => 3,
        };
        var scale = corners == 4 ? 1.0 : corners == 3 ? 1.15 : 0.95;
        return Enumerable.Range(0, corners)
            .Select(k => angle + (2 * Math.PI * k / corners))
            .Select(a => (cx + (radius * scale * Math.Cos(a)), cy + (radius * scale * Math.Sin(a))))
            .ToArray();
    }

    private static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);

    internal static void WriteAll(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }
}

/// <summary>A filled convex polygon of one class.</summary>
internal sealed record DemoShape(int Class, (double X, double Y)[] Points, SKColor Colour)
{
    public string Label => DemoScene.Classes[Class];

    public (double X1, double Y1, double X2, double Y2) Box =>
        (Math.Floor(Points.Min(p => p.X)), Math.Floor(Points.Min(p => p.Y)), Math.Ceiling(Points.Max(p => p.X)), Math.Ceiling(Points.Max(p => p.Y)));

    /// <summary>Even-odd rule point-in-polygon.</summary>
    public bool Contains(double x, double y)
    {
        var inside = false;
        for (int i = 0, j = Points.Length - 1; i < Points.Length; j = i++)
        {
            var (xi, yi) = Points[i];
            var (xj, yj) = Points[j];
            if ((yi > y) != (yj > y) && x < ((xj - xi) * (y - yi) / (yj - yi)) + xi)
            {
                inside = !inside;
            }
        }

        return inside;
    }
}
