using PaddleX.Cloud.Vision.Data;

namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>
/// The box-aware transforms of PaddleX 2.1's detection pipelines, each a pure function of the item and the random
/// source. Boxes, weights, polygons and masks follow every geometric change.
/// </summary>
public static class DetectionAugment
{
    /// <summary>Blends two pictures: a canvas of the larger width and height, <paramref name="factor"/>·a + (1 − factor)·b
    /// (each from the top-left corner, zero elsewhere); the objects of both, weighted by their picture's share.
    /// A factor of 1 (0) keeps only a (b), as PaddleX does.</summary>
    public static DetectionItem Mixup(DetectionItem a, DetectionItem b, float factor)
    {
        if (factor >= 1)
        {
            return a;
        }

        if (factor <= 0)
        {
            return b;
        }

        int w = Math.Max(a.Image.Width, b.Image.Width), h = Math.Max(a.Image.Height, b.Image.Height);
        var canvas = new PlanarImage(w, h);
        Blend(a.Image, canvas, factor);
        Blend(b.Image, canvas, 1 - factor);
        a.Image = canvas;
        a.MapMasks(m => MaskGeometry.Place(m, w, h, 0, 0));
        b.MapMasks(m => MaskGeometry.Place(m, w, h, 0, 0));
        a.Append(b, factor, 1 - factor);
        return a;
    }

    /// <summary>PaddleX RandomDistort with the <c>random_apply</c> order: brightness, contrast, saturation and hue in a
    /// random order, each with its own probability (0 when switched off); factors uniform in [1 − range, 1 + range],
    /// the hue shift in [−hue_range, +hue_range] degrees.</summary>
    public static void Distort(DetectionItem item, DistortOptions o, Random rng)
    {
        int[] order = [0, 1, 2, 3];
        rng.Shuffle(order);
        Span<float> chw = item.Image.Data;
        int plane = item.Image.Plane;
        foreach (int op in order)
        {
            switch (op)
            {
                case 0 when Hit(rng, o.BrightnessProb):
                    ColorOps.Brightness(chw, Uniform(rng, 1 - o.BrightnessRange, 1 + o.BrightnessRange));
                    break;
                case 1 when Hit(rng, o.ContrastProb):
                    ColorOps.Contrast(chw, plane, Uniform(rng, 1 - o.ContrastRange, 1 + o.ContrastRange));
                    break;
                case 2 when Hit(rng, o.SaturationProb):
                    ColorOps.Saturation(chw, plane, Uniform(rng, 1 - o.SaturationRange, 1 + o.SaturationRange));
                    break;
                case 3 when Hit(rng, o.HueProb):
                    ColorOps.Hue(chw, plane, Uniform(rng, -o.HueRange, o.HueRange));
                    break;
            }
        }
    }

    /// <summary>PaddleX RandomExpand (its probability is the caller's): a canvas ratio ∈ [1, <paramref name="maxRatio"/>)
    /// times larger, filled with <paramref name="fill"/> (RGB, 0–255), the picture placed at a random offset.</summary>
    public static void Expand(DetectionItem item, Random rng, float[] fill, double maxRatio = 4)
    {
        int w = item.Image.Width, h = item.Image.Height;
        double ratio = Uniform(rng, 1, maxRatio);
        int cw = (int)(w * ratio), ch = (int)(h * ratio);
        if (cw <= w || ch <= h)
        {
            return;
        }

        int y = rng.Next(ch - h), x = rng.Next(cw - w);
        PlaceOnCanvas(item, cw, ch, x, y, fill);
    }

    /// <summary>Puts the picture on a <paramref name="width"/>×<paramref name="height"/> canvas of <paramref name="fill"/>
    /// with its corner at (x, y) and moves the objects with it.</summary>
    public static void PlaceOnCanvas(DetectionItem item, int width, int height, int x, int y, ReadOnlySpan<float> fill)
    {
        var canvas = PlanarImage.Filled(width, height, fill);
        item.Image.CopyTo(canvas, x, y);
        item.Image = canvas;
        item.MapPoints((px, py) => (px + x, py + y));
        item.MapMasks(m => MaskGeometry.Place(m, width, height, x, y));
    }

    /// <summary>PaddleX RandomCrop (SSD style): the IoU thresholds {0, .1, .3, .5, .7, .9} and "no crop" in a random
    /// order; for a threshold, up to <see cref="CropOptions.Attempts"/> windows of scale ∈ [.3, 1] and aspect ∈ [.5, 2]
    /// (limited by the scale) until one overlaps some box with IoU ≥ the threshold and keeps at least one box centre.
    /// Objects whose centre leaves the window are dropped; the rest are clipped to it, polygons too.</summary>
    /// <returns>the window (x1, y1, x2, y2), or null when the picture stays as it is.</returns>
    public static (int X1, int Y1, int X2, int Y2)? Crop(DetectionItem item, Random rng, CropOptions? options = null)
    {
        CropOptions o = options ?? CropOptions.Default;
        if (item.Count == 0)
        {
            return null;
        }

        var thresholds = o.Thresholds.Select(t => (double?)t).Append(null).ToArray();
        rng.Shuffle(thresholds);
        int w = item.Image.Width, h = item.Image.Height;
        foreach (double? threshold in thresholds)
        {
            if (threshold is not double t)
            {
                return null;
            }

            for (int attempt = 0; attempt < o.Attempts; attempt++)
            {
                var window = Window(rng, w, h, o);
                if (window is not { } c || MaxIou(item.Boxes, c) < t)
                {
                    continue;
                }

                var keep = new List<int>();
                var boxes = new List<float>();
                for (int i = 0; i < item.Count; i++)
                {
                    float cx = (item.Boxes[4 * i] + item.Boxes[(4 * i) + 2]) / 2, cy = (item.Boxes[(4 * i) + 1] + item.Boxes[(4 * i) + 3]) / 2;
                    float x1 = Math.Max(item.Boxes[4 * i], c.X1) - c.X1, y1 = Math.Max(item.Boxes[(4 * i) + 1], c.Y1) - c.Y1;
                    float x2 = Math.Min(item.Boxes[(4 * i) + 2], c.X2) - c.X1, y2 = Math.Min(item.Boxes[(4 * i) + 3], c.Y2) - c.Y1;
                    if (cx >= c.X1 && cx < c.X2 && cy >= c.Y1 && cy < c.Y2 && x1 < x2 && y1 < y2)
                    {
                        keep.Add(i);
                        boxes.AddRange([x1, y1, x2, y2]);
                    }
                }

                if (keep.Count == 0)
                {
                    continue;
                }

                IReadOnlyList<float[]>?[]? polygons = null;
                if (item.Polygons is { } all)
                {
                    polygons = keep.Select(i => all[i] is { } p ? PolygonClip.ToWindow(p, c.X1, c.Y1, c.X2, c.Y2) : null).ToArray();
                }

                item.Image = item.Image.Crop(c.X1, c.Y1, c.X2 - c.X1, c.Y2 - c.Y1);
                item.Keep(keep, boxes.ToArray(), polygons);
                item.MapMasks(m => MaskGeometry.Place(m, c.X2 - c.X1, c.Y2 - c.Y1, -c.X1, -c.Y1));
                return c;
            }
        }

        return null;
    }

    public static void FlipHorizontal(DetectionItem item)
    {
        int w = item.Image.Width;
        item.Image.FlipHorizontal();
        item.MapPoints((x, y) => (w - x, y));
        item.MapMasks(MaskGeometry.FlipHorizontal);
    }

    /// <summary>Resizes to exactly <paramref name="width"/>×<paramref name="height"/>; boxes scale and are clipped to the
    /// new picture, polygons scale.</summary>
    public static void Resize(DetectionItem item, int width, int height, Interpolation interpolation)
    {
        float sx = (float)width / item.Image.Width, sy = (float)height / item.Image.Height;
        item.Image = Resampler.Resize(item.Image, width, height, interpolation);
        item.MapPoints((x, y) => (x * sx, y * sy));
        item.MapMasks(m => MaskGeometry.Resize(m, width, height));
        for (int i = 0; i < item.Boxes.Length; i += 2)
        {
            item.Boxes[i] = Math.Clamp(item.Boxes[i], 0, width);
            item.Boxes[i + 1] = Math.Clamp(item.Boxes[i + 1], 0, height);
        }

        item.ScaleX *= sx;
        item.ScaleY *= sy;
    }

    /// <summary>PaddleX ResizeByShort: the shorter side to <paramref name="shortSize"/>, unless the longer side would
    /// then exceed <paramref name="maxSize"/> (&gt; 0), in which case the longer side becomes <paramref name="maxSize"/>.</summary>
    public static void ResizeByShort(DetectionItem item, int shortSize, int maxSize, Interpolation interpolation)
    {
        var (w, h) = ShortSideSize(item.Image.Width, item.Image.Height, shortSize, maxSize);
        Resize(item, w, h, interpolation);
    }

    public static (int Width, int Height) ShortSideSize(int width, int height, int shortSize, int maxSize)
    {
        double scale = (double)shortSize / Math.Min(width, height);
        if (maxSize > 0 && Math.Round(scale * Math.Max(width, height)) > maxSize)
        {
            scale = (double)maxSize / Math.Max(width, height);
        }

        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    /// <summary>(x / 255 − mean) / std per channel.</summary>
    public static void Normalize(PlanarImage image, IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        for (int c = 0; c < 3; c++)
        {
            float scale = (float)(1 / (255 * std[c])), shift = (float)(mean[c] / std[c]);
            Span<float> p = image.Data.AsSpan(c * image.Plane, image.Plane);
            for (int i = 0; i < p.Length; i++)
            {
                p[i] = (p[i] * scale) - shift;
            }
        }
    }

    /// <summary>A Beta(α, β) draw from two Gamma draws (Marsaglia–Tsang).</summary>
    public static double Beta(Random rng, double alpha, double beta)
    {
        double x = Gamma(rng, alpha), y = Gamma(rng, beta);
        return x / (x + y);
    }

    private static double Gamma(Random rng, double shape)
    {
        if (shape < 1)
        {
            return Gamma(rng, shape + 1) * Math.Pow(rng.NextDouble(), 1 / shape);
        }

        double d = shape - (1.0 / 3), c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal(rng);
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            double u = rng.NextDouble();
            if (u < 1 - (0.0331 * x * x * x * x) || Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static (int X1, int Y1, int X2, int Y2)? Window(Random rng, int w, int h, CropOptions o)
    {
        double scale = Uniform(rng, o.MinScale, o.MaxScale);
        double aspect = Uniform(rng, Math.Max(o.MinAspect, scale * scale), Math.Min(o.MaxAspect, 1 / (scale * scale)));
        int ch = (int)(h * scale / Math.Sqrt(aspect)), cw = (int)(w * scale * Math.Sqrt(aspect));
        if (cw < 1 || ch < 1 || cw > w || ch > h)
        {
            return null;
        }

        int y = rng.Next(Math.Max(1, h - ch)), x = rng.Next(Math.Max(1, w - cw));
        return (x, y, x + cw, y + ch);
    }

    private static double MaxIou(float[] boxes, (int X1, int Y1, int X2, int Y2) c)
    {
        double best = 0, cropArea = (double)(c.X2 - c.X1) * (c.Y2 - c.Y1);
        for (int i = 0; i + 3 < boxes.Length; i += 4)
        {
            double iw = Math.Min(boxes[i + 2], c.X2) - Math.Max(boxes[i], c.X1);
            double ih = Math.Min(boxes[i + 3], c.Y2) - Math.Max(boxes[i + 1], c.Y1);
            double inter = iw > 0 && ih > 0 ? iw * ih : 0;
            double area = (boxes[i + 2] - boxes[i]) * (boxes[i + 3] - boxes[i + 1]);
            best = Math.Max(best, inter / (area + cropArea - inter + 1e-10));
        }

        return best;
    }

    private static void Blend(PlanarImage source, PlanarImage canvas, float factor)
    {
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < source.Height; y++)
            {
                ReadOnlySpan<float> src = source.Data.AsSpan((c * source.Plane) + (y * source.Width), source.Width);
                Span<float> dst = canvas.Data.AsSpan((c * canvas.Plane) + (y * canvas.Width), source.Width);
                for (int x = 0; x < src.Length; x++)
                {
                    dst[x] += src[x] * factor;
                }
            }
        }
    }

    private static bool Hit(Random rng, double prob) => prob > 0 && rng.NextDouble() < prob;

    private static float Uniform(Random rng, double lo, double hi) => (float)(lo + ((hi - lo) * rng.NextDouble()));
}

/// <summary>RandomDistort settings; a switched-off distortion has probability 0.</summary>
public sealed record DistortOptions(
    double BrightnessRange = 0.5,
    double BrightnessProb = 0.5,
    double ContrastRange = 0.5,
    double ContrastProb = 0.5,
    double SaturationRange = 0.5,
    double SaturationProb = 0.5,
    double HueRange = 18,
    double HueProb = 0.5)
{
    public bool Any => BrightnessProb > 0 || ContrastProb > 0 || SaturationProb > 0 || HueProb > 0;
}

/// <summary>RandomCrop settings (PaddleX defaults).</summary>
public sealed record CropOptions
{
    public static CropOptions Default { get; } = new();

    public double[] Thresholds { get; init; } = [0, .1, .3, .5, .7, .9];

    public double MinScale { get; init; } = .3;

    public double MaxScale { get; init; } = 1;

    public double MinAspect { get; init; } = .5;

    public double MaxAspect { get; init; } = 2;

    public int Attempts { get; init; } = 50;
}
