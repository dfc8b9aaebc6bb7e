using PaddleX.Cloud.Vision.Data;
using SkiaSharp;

namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>An RGB picture as planar float32 (C×H×W), values in [0, 255] until normalised. Detection transforms
/// change its size (mixup canvas, expand, crop, resize), so it is not tied to a batch slot.</summary>
public sealed class PlanarImage
{
    public PlanarImage(int width, int height, float[]? data = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        Data = data ?? new float[3 * width * height];
        if (Data.Length != 3 * width * height)
        {
            throw new ArgumentException($"expected {3 * width * height} values, got {Data.Length}", nameof(data));
        }
    }

    public int Width { get; }

    public int Height { get; }

    public float[] Data { get; }

    public int Plane => Width * Height;

    public float this[int channel, int y, int x]
    {
        get => Data[(channel * Plane) + (y * Width) + x];
        set => Data[(channel * Plane) + (y * Width) + x] = value;
    }

    public static PlanarImage Load(string path)
    {
        using SKBitmap bitmap = ImageIO.Decode(path);
        return FromBitmap(bitmap);
    }

    public static PlanarImage FromBitmap(SKBitmap bitmap)
    {
        var image = new PlanarImage(bitmap.Width, bitmap.Height);
        ImageIO.ToChwRgb(bitmap, image.Data);
        return image;
    }

    /// <summary>A picture of one colour (per channel).</summary>
    public static PlanarImage Filled(int width, int height, ReadOnlySpan<float> rgb)
    {
        var image = new PlanarImage(width, height);
        for (int c = 0; c < 3; c++)
        {
            image.Data.AsSpan(c * image.Plane, image.Plane).Fill(rgb[c]);
        }

        return image;
    }

    /// <summary>The window [x, x+w) × [y, y+h) (inside the picture).</summary>
    public PlanarImage Crop(int x, int y, int width, int height)
    {
        var crop = new PlanarImage(width, height);
        for (int c = 0; c < 3; c++)
        {
            for (int row = 0; row < height; row++)
            {
                Data.AsSpan((c * Plane) + ((y + row) * Width) + x, width).CopyTo(crop.Data.AsSpan((c * crop.Plane) + (row * width), width));
            }
        }

        return crop;
    }

    /// <summary>Copies this picture onto <paramref name="canvas"/> with its top-left corner at (x, y).</summary>
    public void CopyTo(PlanarImage canvas, int x, int y) => CopyInto(canvas.Data, canvas.Width, canvas.Height, x, y);

    /// <summary>Copies this picture into a planar buffer of <paramref name="width"/>×<paramref name="height"/> at (x, y).</summary>
    public void CopyInto(Span<float> dest, int width, int height, int x, int y)
    {
        if (x < 0 || y < 0 || x + Width > width || y + Height > height)
        {
            throw new ArgumentException($"a {Width}×{Height} picture does not fit a {width}×{height} canvas at ({x}, {y})");
        }

        for (int c = 0; c < 3; c++)
        {
            for (int row = 0; row < Height; row++)
            {
                Data.AsSpan((c * Plane) + (row * Width), Width).CopyTo(dest.Slice((c * width * height) + ((y + row) * width) + x, Width));
            }
        }
    }

    public void FlipHorizontal()
    {
        for (int row = 0; row < 3 * Height; row++)
        {
            Data.AsSpan(row * Width, Width).Reverse();
        }
    }
}
