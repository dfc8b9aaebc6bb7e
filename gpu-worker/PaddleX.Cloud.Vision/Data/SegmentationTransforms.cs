using PaddleX.Cloud.Datasets.Images;

namespace PaddleX.Cloud.Vision.Data;

/// <summary>
/// Segmentation preprocessing, applied to a picture and its label map together: (scale-aspect crop) → resize to
/// image_shape (bilinear for the picture, nearest neighbour for the label map) → (blur) → (horizontal/vertical
/// flip) → (colour distortion, 8-bit RGB only) → normalise <c>(x / 255 − mean) / std</c> per band. Randomness
/// comes only from the <see cref="Random"/> passed in.
/// </summary>
public sealed class SegmentationTransforms
{
    private readonly float[] mean;
    private readonly float[] std;

    /// <param name="colourJitter">false for remote-sensing bands, whose values are not 8-bit colours.</param>
    public SegmentationTransforms(int width, int height, int channels, IReadOnlyList<double> mean, IReadOnlyList<double> std,
        AugmentOptions? augment = null, bool colourJitter = true)
    {
        if (width < 1 || height < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(width), "image_shape must be positive");
        }

        if (mean.Count != channels || std.Count != channels)
        {
            throw new ArgumentException($"image_mean and image_std need {channels} values (one per band); got {mean.Count} and {std.Count}");
        }

        Width = width;
        Height = height;
        Channels = channels;
        this.mean = mean.Select(m => (float)m).ToArray();
        this.std = std.Select(s => (float)s).ToArray();
        Augment = augment ?? AugmentOptions.None;
        ColourJitter = colourJitter && channels == 3;
    }

    public int Width { get; }

    public int Height { get; }

    public int Channels { get; }

    public AugmentOptions Augment { get; }

    public bool ColourJitter { get; }

    public int SampleLength => Channels * Width * Height;

    /// <summary>Writes the normalised picture (CHW) into <paramref name="dest"/> and the resized label map into
    /// <paramref name="labels"/> (when given).</summary>
    public void Apply(RasterImage image, LabelMap? mask, Random? rng, Span<float> dest, Span<long> labels)
    {
        if (image.Channels != Channels)
        {
            throw new InvalidDataException($"the picture has {image.Channels} bands, the model takes {Channels}");
        }

        AugmentOptions a = Augment;
        (int x0, int y0, int cw, int ch) = (0, 0, image.Width, image.Height);
        if (rng is not null && a.ScaleAspect)
        {
            (x0, y0, cw, ch) = ScaleAspectWindow(rng, image.Width, image.Height, a.MinRatio, a.AspectRatio);
        }

        Span<float> chw = dest[..SampleLength];
        ResizeBilinear(image, x0, y0, cw, ch, chw);
        if (mask is not null)
        {
            ResizeNearest(mask, x0, y0, cw, ch, labels[..(Width * Height)]);
        }

        if (rng is not null)
        {
            if (Hit(rng, a.EffectiveProb(a.Blur, a.BlurProb)))
            {
                Blur(chw, rng.Next(2) == 0 ? 3 : 5);
            }

            if (Hit(rng, a.EffectiveProb(a.HorizontalFlip, a.HorizontalFlipProb)))
            {
                FlipHorizontal(chw, labels, mask is not null);
            }

            if (Hit(rng, a.EffectiveProb(a.VerticalFlip, a.VerticalFlipProb)))
            {
                FlipVertical(chw, labels, mask is not null);
            }

            if (ColourJitter)
            {
                Distort(rng, chw);
            }
        }

        int plane = Width * Height;
        for (int c = 0; c < Channels; c++)
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

    /// <summary>PaddleSeg's RandomScaleAspect window: 10 tries of area ∈ [min_ratio, 1]·A and aspect ∈
    /// [aspect_ratio, 1/aspect_ratio]; the whole picture when none fits.</summary>
    internal static (int X, int Y, int W, int H) ScaleAspectWindow(Random rng, int width, int height, double minRatio, double aspectRatio)
    {
        if (minRatio <= 0 || aspectRatio <= 0)
        {
            return (0, 0, width, height);
        }

        for (int i = 0; i < 10; i++)
        {
            double area = width * height * Uniform(rng, minRatio, 1.0);
            double aspect = Uniform(rng, aspectRatio, 1.0 / aspectRatio);
            int dw = (int)Math.Sqrt(area * aspect);
            int dh = (int)Math.Sqrt(area / aspect);
            if (rng.Next(2) == 0)
            {
                (dw, dh) = (dh, dw);
            }

            if (dw > 0 && dh > 0 && dw < width && dh < height)
            {
                return (rng.Next(width - dw + 1), rng.Next(height - dh + 1), dw, dh);
            }
        }

        return (0, 0, width, height);
    }

    private void ResizeBilinear(RasterImage image, int x0, int y0, int cw, int ch, Span<float> dest)
    {
        int plane = Width * Height;
        double sx = (double)cw / Width, sy = (double)ch / Height;
        for (int y = 0; y < Height; y++)
        {
            double fy = Math.Clamp((y + 0.5) * sy - 0.5, 0, ch - 1);
            int ya = (int)fy, yb = Math.Min(ya + 1, ch - 1);
            float wy = (float)(fy - ya);
            for (int x = 0; x < Width; x++)
            {
                double fx = Math.Clamp((x + 0.5) * sx - 0.5, 0, cw - 1);
                int xa = (int)fx, xb = Math.Min(xa + 1, cw - 1);
                float wx = (float)(fx - xa);
                int a = (y0 + ya) * image.Width + x0, b = (y0 + yb) * image.Width + x0;
                for (int c = 0; c < Channels; c++)
                {
                    ReadOnlySpan<float> band = image.Band(c);
                    float top = band[a + xa] + (band[a + xb] - band[a + xa]) * wx;
                    float bottom = band[b + xa] + (band[b + xb] - band[b + xa]) * wx;
                    dest[c * plane + y * Width + x] = top + (bottom - top) * wy;
                }
            }
        }
    }

    private void ResizeNearest(LabelMap mask, int x0, int y0, int cw, int ch, Span<long> dest)
    {
        for (int y = 0; y < Height; y++)
        {
            int sy = y0 + Math.Min(ch - 1, (int)((y + 0.5) * ch / Height));
            for (int x = 0; x < Width; x++)
            {
                int sx = x0 + Math.Min(cw - 1, (int)((x + 0.5) * cw / Width));
                dest[y * Width + x] = mask.Values[sy * mask.Width + sx];
            }
        }
    }

    private void Blur(Span<float> chw, int k)
    {
        float[] kernel = k == 3 ? [0.25f, 0.5f, 0.25f] : [0.0625f, 0.25f, 0.375f, 0.25f, 0.0625f];
        int r = k / 2, plane = Width * Height;
        var tmp = new float[plane];
        for (int c = 0; c < Channels; c++)
        {
            Span<float> p = chw.Slice(c * plane, plane);
            for (int y = 0; y < Height; y++)
            {
                for (int x = 0; x < Width; x++)
                {
                    float sum = 0;
                    for (int i = -r; i <= r; i++)
                    {
                        sum += kernel[i + r] * p[y * Width + Math.Clamp(x + i, 0, Width - 1)];
                    }

                    tmp[y * Width + x] = sum;
                }
            }

            for (int y = 0; y < Height; y++)
            {
                for (int x = 0; x < Width; x++)
                {
                    float sum = 0;
                    for (int i = -r; i <= r; i++)
                    {
                        sum += kernel[i + r] * tmp[Math.Clamp(y + i, 0, Height - 1) * Width + x];
                    }

                    p[y * Width + x] = sum;
                }
            }
        }
    }

    private void FlipHorizontal(Span<float> chw, Span<long> labels, bool withLabels)
    {
        for (int row = 0; row < Channels * Height; row++)
        {
            chw.Slice(row * Width, Width).Reverse();
        }

        for (int row = 0; withLabels && row < Height; row++)
        {
            labels.Slice(row * Width, Width).Reverse();
        }
    }

    private void FlipVertical(Span<float> chw, Span<long> labels, bool withLabels)
    {
        int plane = Width * Height;
        for (int c = 0; c < Channels; c++)
        {
            SwapRows(chw.Slice(c * plane, plane));
        }

        if (withLabels)
        {
            SwapRows(labels[..plane]);
        }
    }

    private void SwapRows<T>(Span<T> plane)
    {
        for (int y = 0; y < Height / 2; y++)
        {
            Span<T> top = plane.Slice(y * Width, Width);
            Span<T> bottom = plane.Slice((Height - 1 - y) * Width, Width);
            for (int x = 0; x < Width; x++)
            {
                (top[x], bottom[x]) = (bottom[x], top[x]);
            }
        }
    }

    private void Distort(Random rng, Span<float> chw)
    {
        AugmentOptions a = Augment;
        int plane = Width * Height;
        if (Hit(rng, a.EffectiveProb(a.Brightness, a.BrightnessProb)))
        {
            ColorOps.Brightness(chw, (float)Uniform(rng, 1 - a.BrightnessRange, 1 + a.BrightnessRange));
        }

        if (Hit(rng, a.EffectiveProb(a.Contrast, a.ContrastProb)))
        {
            ColorOps.Contrast(chw, plane, (float)Uniform(rng, 1 - a.ContrastRange, 1 + a.ContrastRange));
        }

        if (Hit(rng, a.EffectiveProb(a.Saturation, a.SaturationProb)))
        {
            ColorOps.Saturation(chw, plane, (float)Uniform(rng, 1 - a.SaturationRange, 1 + a.SaturationRange));
        }

        if (Hit(rng, a.EffectiveProb(a.Hue, a.HueProb)))
        {
            ColorOps.Hue(chw, plane, (float)Uniform(rng, -a.HueRange, a.HueRange));
        }
    }

    private static bool Hit(Random rng, double prob) => prob > 0 && rng.NextDouble() < prob;

    private static double Uniform(Random rng, double lo, double hi) => lo + (hi - lo) * rng.NextDouble();
}

/// <summary>Segmentation samples through <see cref="SegmentationTransforms"/>; every sample is checked as it is read.</summary>
public sealed class SegmentationSource(IReadOnlyList<SegmentationSample> samples, SegmentationTransforms transforms, int classes) : ISampleSource
{
    public int Count => samples.Count;

    public int Channels => transforms.Channels;

    public int Height => transforms.Height;

    public int Width => transforms.Width;

    public int LabelLength => transforms.Width * transforms.Height;

    public void Load(int index, Random? rng, Span<float> data, Span<long> labels)
    {
        (RasterImage image, LabelMap mask) = SegmentationDataset.Read(samples[index], classes);
        transforms.Apply(image, mask, rng, data, labels);
    }
}
