using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;

namespace PaddleX.Cloud.Inference;

/// <summary>A label per pixel of the original picture (row-major, <see cref="Width"/>×<see cref="Height"/>),
/// indices into <see cref="Labels"/>.</summary>
public sealed record SegmentationResult(int Width, int Height, int[] LabelMap, IReadOnlyList<string> Labels)
{
    /// <summary>How many pixels carry each label.</summary>
    public int[] Histogram()
    {
        var counts = new int[Labels.Count];
        foreach (var l in LabelMap)
        {
            counts[l]++;
        }

        return counts;
    }
}

/// <summary>
/// Segments pictures with an exported segmentation model: the picture is prepared as training did (resized
/// to the input size), <c>label_map</c> is read from the graph and scaled back to the picture's size
/// (nearest neighbour). Remote-sensing models take their bands as float planes (<see cref="Segment(float[], int, int)"/>).
/// </summary>
public sealed class ExportedSegmenter(string exportDir, SessionOptions? options = null)
    : ExportedModel(exportDir, options, "segmentation", "remote_segmentation")
{
    public SegmentationResult Segment(string imagePath) => Segment(File.ReadAllBytes(imagePath));

    public SegmentationResult Segment(byte[] encoded)
    {
        using var bitmap = Decode(encoded);
        return Segment(bitmap);
    }

    /// <summary>Segments a decoded RGB picture (models with 3 input channels).</summary>
    public SegmentationResult Segment(SKBitmap picture)
    {
        RequireBands(3);
        int w = Info.InputSize[0], h = Info.InputSize[1];
        var data = new float[3 * w * h];
        Fill(picture, data, w, h);
        return Run(data, picture.Width, picture.Height);
    }

    /// <summary>Segments an image given as <c>in_channels</c> planes of raw band values (CHW, the units the
    /// dataset's pixels have, e.g. 0–255 or 16-bit counts), resized bilinearly to the input size here.</summary>
    public SegmentationResult Segment(float[] bands, int width, int height)
    {
        RequireBands(bands.Length / Math.Max(1, width * height));
        int w = Info.InputSize[0], h = Info.InputSize[1], plane = w * h;
        var data = new float[Info.InChannels * plane];
        for (var c = 0; c < Info.InChannels; c++)
        {
            var resized = Resize(bands.AsSpan(c * width * height, width * height), width, height, w, h);
            float scale = (float)(1.0 / (255.0 * Info.Std[c])), shift = (float)(Info.Mean[c] / Info.Std[c]);
            for (var i = 0; i < plane; i++)
            {
                data[(c * plane) + i] = (resized[i] * scale) - shift;
            }
        }

        return Run(data, width, height);
    }

    /// <summary>PaddleX's pseudo-colour palette (the PASCAL VOC bit pattern): label 0 black, 1 dark red, 2 dark green, ….</summary>
    public static SKColor Colour(int label)
    {
        int r = 0, g = 0, b = 0;
        for (int i = 0, l = label; l > 0; i++, l >>= 3)
        {
            r |= ((l >> 0) & 1) << (7 - i);
            g |= ((l >> 1) & 1) << (7 - i);
            b |= ((l >> 2) & 1) << (7 - i);
        }

        return new SKColor((byte)r, (byte)g, (byte)b);
    }

    /// <summary>The label map drawn in <see cref="Colour"/>s.</summary>
    public static SKBitmap PseudoColour(SegmentationResult result)
    {
        var bitmap = new SKBitmap(new SKImageInfo(result.Width, result.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var colours = Enumerable.Range(0, result.Labels.Count).Select(Colour).ToArray();
        var px = bitmap.GetPixelSpan();
        for (var i = 0; i < result.LabelMap.Length; i++)
        {
            var c = colours[result.LabelMap[i]];
            (px[i * 4], px[(i * 4) + 1], px[(i * 4) + 2], px[(i * 4) + 3]) = (c.Red, c.Green, c.Blue, 255);
        }

        return bitmap;
    }

    /// <summary>The picture with its pseudo-colour label map blended over it (weight <paramref name="alpha"/>), as PNG bytes.</summary>
    public static byte[] OverlayPng(SKBitmap picture, SegmentationResult result, float alpha = 0.5f)
    {
        using var colours = PseudoColour(result);
        using var surface = SKSurface.Create(new SKImageInfo(result.Width, result.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.DrawBitmap(picture, new SKRect(0, 0, result.Width, result.Height));
        using var paint = new SKPaint { Color = SKColors.White.WithAlpha((byte)Math.Round(alpha * 255)) };
        surface.Canvas.DrawBitmap(colours, 0, 0, paint);
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private void RequireBands(int bands)
    {
        if (bands != Info.InChannels)
        {
            throw new ArgumentException($"{Info.Model} takes {Info.InChannels} bands; got {bands}");
        }
    }

    private SegmentationResult Run(float[] data, int width, int height)
    {
        int w = Info.InputSize[0], h = Info.InputSize[1];
        var input = new DenseTensor<float>(data, [1, Info.InChannels, h, w]);
        using var results = Session.Run([NamedOnnxValue.CreateFromTensor(Info.Input, input)]);
        var labels = results.First(r => r.Name == "label_map").AsEnumerable<long>().ToArray();
        var map = new int[width * height];
        for (var y = 0; y < height; y++)
        {
            var sy = Math.Min(h - 1, (int)((y + 0.5) * h / height));
            for (var x = 0; x < width; x++)
            {
                var sx = Math.Min(w - 1, (int)((x + 0.5) * w / width));
                map[(y * width) + x] = (int)labels[(sy * w) + sx];
            }
        }

        return new SegmentationResult(width, height, map, Info.Labels);
    }

    /// <summary>Bilinear resize of one plane with half-pixel centres.</summary>
    private static float[] Resize(ReadOnlySpan<float> src, int sw, int sh, int dw, int dh)
    {
        var dst = new float[dw * dh];
        for (var y = 0; y < dh; y++)
        {
            var fy = Math.Clamp(((y + 0.5) * sh / dh) - 0.5, 0, sh - 1);
            int y0 = (int)fy, y1 = Math.Min(y0 + 1, sh - 1);
            var wy = (float)(fy - y0);
            for (var x = 0; x < dw; x++)
            {
                var fx = Math.Clamp(((x + 0.5) * sw / dw) - 0.5, 0, sw - 1);
                int x0 = (int)fx, x1 = Math.Min(x0 + 1, sw - 1);
                var wx = (float)(fx - x0);
                var top = (src[(y0 * sw) + x0] * (1 - wx)) + (src[(y0 * sw) + x1] * wx);
                var bottom = (src[(y1 * sw) + x0] * (1 - wx)) + (src[(y1 * sw) + x1] * wx);
                dst[(y * dw) + x] = (top * (1 - wy)) + (bottom * wy);
            }
        }

        return dst;
    }
}
