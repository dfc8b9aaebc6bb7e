namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>Interpolations of PaddleX's <c>interp</c> (OpenCV's, pixel centres at +0.5); <c>RANDOM</c> draws one
/// per picture. Lanczos is left out: the four kept cover what the random choice is for (scale-robust features).</summary>
public enum Interpolation
{
    Nearest,
    Linear,
    Cubic,
    Area,
}

/// <summary>Separable resampling of a <see cref="PlanarImage"/>: each output pixel is a weighted sum of source
/// pixels along x, then along y (weights per output coordinate precomputed once per axis).</summary>
public static class Resampler
{
    public static readonly Interpolation[] All = Enum.GetValues<Interpolation>();

    public static PlanarImage Resize(PlanarImage source, int width, int height, Interpolation interpolation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (width == source.Width && height == source.Height)
        {
            return new PlanarImage(width, height, (float[])source.Data.Clone());
        }

        Taps xs = Weights(source.Width, width, interpolation);
        Taps ys = Weights(source.Height, height, interpolation);
        var temp = new float[3 * source.Height * width];
        for (int c = 0; c < 3; c++)
        {
            for (int row = 0; row < source.Height; row++)
            {
                ReadOnlySpan<float> src = source.Data.AsSpan((c * source.Plane) + (row * source.Width), source.Width);
                Span<float> dst = temp.AsSpan((c * source.Height * width) + (row * width), width);
                for (int x = 0; x < width; x++)
                {
                    float sum = 0;
                    for (int k = xs.Start[x]; k < xs.Start[x + 1]; k++)
                    {
                        sum += src[xs.Index[k]] * xs.Weight[k];
                    }

                    dst[x] = sum;
                }
            }
        }

        var result = new PlanarImage(width, height);
        for (int c = 0; c < 3; c++)
        {
            ReadOnlySpan<float> plane = temp.AsSpan(c * source.Height * width, source.Height * width);
            for (int y = 0; y < height; y++)
            {
                Span<float> dst = result.Data.AsSpan((c * result.Plane) + (y * width), width);
                dst.Clear();
                for (int k = ys.Start[y]; k < ys.Start[y + 1]; k++)
                {
                    ReadOnlySpan<float> src = plane.Slice(ys.Index[k] * width, width);
                    float w = ys.Weight[k];
                    for (int x = 0; x < width; x++)
                    {
                        dst[x] += src[x] * w;
                    }
                }

                if (interpolation == Interpolation.Cubic)
                {
                    // Cubic overshoots at edges; pictures stay in the 8-bit range as OpenCV's saturating cast keeps them.
                    for (int x = 0; x < width; x++)
                    {
                        dst[x] = Math.Clamp(dst[x], 0f, 255f);
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Source taps of every output coordinate: output i uses Index/Weight[Start[i] .. Start[i+1]).</summary>
    private sealed record Taps(int[] Start, int[] Index, float[] Weight);

    private static Taps Weights(int src, int dst, Interpolation interpolation)
    {
        double scale = (double)src / dst;
        var start = new int[dst + 1];
        var index = new List<int>(dst * 4);
        var weight = new List<float>(dst * 4);
        for (int i = 0; i < dst; i++)
        {
            start[i] = index.Count;
            switch (interpolation)
            {
                case Interpolation.Nearest:
                    Add(index, weight, Math.Min((int)Math.Floor(i * scale), src - 1), 1, src);
                    break;
                case Interpolation.Area when scale > 1:
                    double lo = i * scale, hi = (i + 1) * scale;
                    for (int s = (int)Math.Floor(lo); s < Math.Min(src, (int)Math.Ceiling(hi)); s++)
                    {
                        double overlap = Math.Min(hi, s + 1) - Math.Max(lo, s);
                        if (overlap > 1e-9)
                        {
                            Add(index, weight, s, overlap / scale, src);
                        }
                    }

                    break;
                case Interpolation.Cubic:
                    {
                        double f = ((i + 0.5) * scale) - 0.5;
                        int x0 = (int)Math.Floor(f);
                        double t = f - x0;
                        for (int k = -1; k <= 2; k++)
                        {
                            Add(index, weight, x0 + k, CubicKernel(k - t), src);
                        }

                        break;
                    }

                default:
                    {
                        double f = Math.Max(((i + 0.5) * scale) - 0.5, 0);
                        int x0 = Math.Min((int)Math.Floor(f), src - 1);
                        double t = f - x0;
                        Add(index, weight, x0, 1 - t, src);
                        if (t > 0)
                        {
                            Add(index, weight, x0 + 1, t, src);
                        }

                        break;
                    }
            }
        }

        start[dst] = index.Count;
        return new Taps(start, index.ToArray(), weight.ToArray());
    }

    private static void Add(List<int> index, List<float> weight, int at, double w, int src)
    {
        index.Add(Math.Clamp(at, 0, src - 1));
        weight.Add((float)w);
    }

    /// <summary>OpenCV's bicubic kernel (a = −0.75).</summary>
    private static double CubicKernel(double x)
    {
        const double A = -0.75;
        x = Math.Abs(x);
        return x <= 1 ? (((A + 2) * x) - (A + 3)) * x * x + 1
            : x < 2 ? (((((A * x) - (5 * A)) * x) + (8 * A)) * x) - (4 * A)
            : 0;
    }
}
