using SkiaSharp;

namespace PaddleX.Cloud.Vision.Data;

/// <summary>SkiaSharp image decoding (jpg/png/bmp/…) and geometric resampling.</summary>
public static class ImageIO
{
    private static readonly SKSamplingOptions Bilinear = new(SKFilterMode.Linear, SKMipmapMode.None);

    /// <summary>Decodes an image file into an unpremultiplied RGBA8888 bitmap (EXIF orientation ignored).</summary>
    public static SKBitmap Decode(string path)
    {
        using var codec = SKCodec.Create(path)
            ?? throw new InvalidDataException($"cannot decode image {path}");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        SKCodecResult result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            bitmap.Dispose();
            throw new InvalidDataException($"cannot decode image {path}: {result}");
        }

        return bitmap;
    }

    /// <summary>Rotates about the centre by <paramref name="degrees"/> (counter-clockwise), same size, black fill.</summary>
    public static SKBitmap Rotate(SKBitmap source, float degrees)
    {
        var rotated = new SKBitmap(source.Info);
        using var canvas = new SKCanvas(rotated);
        canvas.Clear(SKColors.Black);
        canvas.Translate(source.Width / 2f, source.Height / 2f);
        canvas.RotateDegrees(-degrees);
        canvas.Translate(-source.Width / 2f, -source.Height / 2f);
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, 0, 0, Bilinear);
        return rotated;
    }

    /// <summary>Bilinear resize to exactly <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static SKBitmap Resize(SKBitmap source, int width, int height)
    {
        if (source.Width == width && source.Height == height)
        {
            return source.Copy();
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        return source.Resize(info, Bilinear) ?? throw new InvalidOperationException("resize failed");
    }

    /// <summary>Copies the RGB channels into planar CHW floats in [0, 255].</summary>
    public static void ToChwRgb(SKBitmap bitmap, Span<float> dest)
    {
        int w = bitmap.Width, h = bitmap.Height, plane = w * h;
        if (dest.Length < 3 * plane)
        {
            throw new ArgumentException("destination too small", nameof(dest));
        }

        ReadOnlySpan<byte> px = bitmap.GetPixelSpan();
        int stride = bitmap.RowBytes;
        for (int y = 0; y < h; y++)
        {
            ReadOnlySpan<byte> row = px.Slice(y * stride, w * 4);
            int o = y * w;
            for (int x = 0; x < w; x++)
            {
                dest[o + x] = row[x * 4];
                dest[plane + o + x] = row[x * 4 + 1];
                dest[2 * plane + o + x] = row[x * 4 + 2];
            }
        }
    }
}
