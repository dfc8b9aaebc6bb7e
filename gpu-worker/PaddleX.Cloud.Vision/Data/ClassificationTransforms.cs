using SkiaSharp;

namespace PaddleX.Cloud.Vision.Data;

/// <summary>
/// Decode → (rotate) → resize to image_shape → (flips) → (brightness, contrast, saturation, hue) → normalise
/// with mean/std, written as planar CHW float32. Randomness only comes from the <see cref="Random"/> passed
/// in, so the output is a pure function of (file, options, rng seed).
/// </summary>
public sealed class ClassificationTransforms
{
    private readonly float[] mean;
    private readonly float[] std;

    /// <param name="width">target width (PaddleX image_shape[0]).</param>
    /// <param name="height">target height (PaddleX image_shape[1]).</param>
    public ClassificationTransforms(int width, int height, IReadOnlyList<double> mean, IReadOnlyList<double> std, AugmentOptions? augment = null)
    {
        if (width < 1 || height < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(width), "image_shape must be positive");
        }

        if (mean.Count != 3 || std.Count != 3)
        {
            throw new ArgumentException("image_mean and image_std need 3 values (RGB)");
        }

        Width = width;
        Height = height;
        this.mean = mean.Select(m => (float)m).ToArray();
        this.std = std.Select(s => (float)s).ToArray();
        Augment = augment ?? AugmentOptions.None;
    }

    public int Width { get; }

    public int Height { get; }

    public AugmentOptions Augment { get; }

    public int SampleLength => 3 * Width * Height;

    /// <summary>Loads, augments (when <paramref name="rng"/> is given) and normalises one image into <paramref name="dest"/>.</summary>
    public void Apply(string path, Random? rng, Span<float> dest)
    {
        using SKBitmap decoded = ImageIO.Decode(path);
        ApplyBitmap(decoded, rng, dest);
    }

    public void ApplyBitmap(SKBitmap decoded, Random? rng, Span<float> dest)
    {
        AugmentOptions a = Augment;
        SKBitmap source = decoded;
        SKBitmap? rotated = null;
        try
        {
            if (rng is not null && Hit(rng, a.EffectiveProb(a.Rotate, a.RotateProb)))
            {
                float angle = (float)Uniform(rng, -a.RotateRange, a.RotateRange);
                rotated = ImageIO.Rotate(decoded, angle);
                source = rotated;
            }

            using SKBitmap resized = ImageIO.Resize(source, Width, Height);
            Span<float> img = dest[..SampleLength];
            ImageIO.ToChwRgb(resized, img);
        }
        finally
        {
            rotated?.Dispose();
        }

        Span<float> chw = dest[..SampleLength];
        if (rng is not null)
        {
            if (Hit(rng, a.EffectiveProb(a.HorizontalFlip, a.HorizontalFlipProb)))
            {
                FlipHorizontal(chw, Width, Height);
            }

            if (Hit(rng, a.EffectiveProb(a.VerticalFlip, a.VerticalFlipProb)))
            {
                FlipVertical(chw, Width, Height);
            }

            if (Hit(rng, a.EffectiveProb(a.Brightness, a.BrightnessProb)))
            {
                ColorOps.Brightness(chw, (float)Uniform(rng, 1 - a.BrightnessRange, 1 + a.BrightnessRange));
            }

            if (Hit(rng, a.EffectiveProb(a.Contrast, a.ContrastProb)))
            {
                ColorOps.Contrast(chw, Width * Height, (float)Uniform(rng, 1 - a.ContrastRange, 1 + a.ContrastRange));
            }

            if (Hit(rng, a.EffectiveProb(a.Saturation, a.SaturationProb)))
            {
                ColorOps.Saturation(chw, Width * Height, (float)Uniform(rng, 1 - a.SaturationRange, 1 + a.SaturationRange));
            }

            if (Hit(rng, a.EffectiveProb(a.Hue, a.HueProb)))
            {
                ColorOps.Hue(chw, Width * Height, (float)Uniform(rng, -a.HueRange, a.HueRange));
            }
        }

        Normalize(chw, Width * Height);
    }

    private void Normalize(Span<float> chw, int plane)
    {
        for (int c = 0; c < 3; c++)
        {
            float scale = 1f / (255f * std[c]);
            float shift = mean[c] / std[c];
            Span<float> p = chw.Slice(c * plane, plane);
            for (int i = 0; i < p.Length; i++)
            {
                p[i] = p[i] * scale - shift;
            }
        }
    }

    private static bool Hit(Random rng, double prob) => prob > 0 && rng.NextDouble() < prob;

    private static double Uniform(Random rng, double lo, double hi) => lo + (hi - lo) * rng.NextDouble();

    internal static void FlipHorizontal(Span<float> chw, int w, int h)
    {
        for (int row = 0; row < 3 * h; row++)
        {
            chw.Slice(row * w, w).Reverse();
        }
    }

    internal static void FlipVertical(Span<float> chw, int w, int h)
    {
        Span<float> tmp = w <= 4096 ? stackalloc float[w] : new float[w];
        for (int c = 0; c < 3; c++)
        {
            Span<float> plane = chw.Slice(c * w * h, w * h);
            for (int y = 0; y < h / 2; y++)
            {
                Span<float> top = plane.Slice(y * w, w);
                Span<float> bottom = plane.Slice((h - 1 - y) * w, w);
                top.CopyTo(tmp);
                bottom.CopyTo(top);
                tmp.CopyTo(bottom);
            }
        }
    }
}

/// <summary>Colour jitter on planar RGB floats in [0, 255] (results clamped to [0, 255]).</summary>
internal static class ColorOps
{
    public static void Brightness(Span<float> chw, float factor)
    {
        for (int i = 0; i < chw.Length; i++)
        {
            chw[i] = Math.Clamp(chw[i] * factor, 0f, 255f);
        }
    }

    public static void Contrast(Span<float> chw, int plane, float factor)
    {
        double sum = 0;
        for (int i = 0; i < plane; i++)
        {
            sum += Grey(chw, plane, i);
        }

        float mean = (float)(sum / plane);
        for (int i = 0; i < chw.Length; i++)
        {
            chw[i] = Math.Clamp(mean + (chw[i] - mean) * factor, 0f, 255f);
        }
    }

    public static void Saturation(Span<float> chw, int plane, float factor)
    {
        for (int i = 0; i < plane; i++)
        {
            float g = Grey(chw, plane, i);
            for (int c = 0; c < 3; c++)
            {
                ref float v = ref chw[c * plane + i];
                v = Math.Clamp(g + (v - g) * factor, 0f, 255f);
            }
        }
    }

    /// <summary>Hue rotation by <paramref name="degrees"/> in YIQ space.</summary>
    public static void Hue(Span<float> chw, int plane, float degrees)
    {
        double rad = degrees * Math.PI / 180.0;
        float cos = (float)Math.Cos(rad), sin = (float)Math.Sin(rad);
        for (int i = 0; i < plane; i++)
        {
            float r = chw[i], g = chw[plane + i], b = chw[2 * plane + i];
            float y = 0.299f * r + 0.587f * g + 0.114f * b;
            float iq = 0.596f * r - 0.274f * g - 0.322f * b;
            float q = 0.211f * r - 0.523f * g + 0.312f * b;
            float i2 = iq * cos - q * sin;
            float q2 = iq * sin + q * cos;
            chw[i] = Math.Clamp(y + 0.956f * i2 + 0.621f * q2, 0f, 255f);
            chw[plane + i] = Math.Clamp(y - 0.272f * i2 - 0.647f * q2, 0f, 255f);
            chw[2 * plane + i] = Math.Clamp(y - 1.106f * i2 + 1.703f * q2, 0f, 255f);
        }
    }

    private static float Grey(Span<float> chw, int plane, int i) =>
        0.299f * chw[i] + 0.587f * chw[plane + i] + 0.114f * chw[2 * plane + i];
}
