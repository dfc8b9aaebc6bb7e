using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Datasets.Formats;
using PaddleX.Cloud.Datasets.Images;
using SkiaSharp;

namespace PaddleX.Cloud.Datasets.Rendering;

/// <summary>Draws a dataset picture with its annotation, as PNG: classification a caption with the
/// label; detection boxes and class names; segmentation the pseudo-colour label map blended 50/50;
/// instance segmentation the masks (alpha 0.7) and boxes.</summary>
public static class AnnotationRenderer
{
    public const int MaxLongSide = 580;

    private static readonly Lazy<SKTypeface> Font = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("PaddleX.Cloud.Datasets.DejaVuSans.ttf")!;
        return SKTypeface.FromStream(stream) ?? SKTypeface.Default;
    });

    /// <summary>The bundled DejaVu Sans, for every picture the service draws (the NoDependencies Skia has no fonts).</summary>
    public static SKTypeface Typeface => Font.Value;

    /// <summary>PNG bytes, or null when the picture has no entry in the dataset's details.</summary>
    /// <param name="datasetDir">The dataset's local folder.</param>
    /// <param name="relative">The picture's path inside the dataset folder ('/' separators).</param>
    public static byte[]? Render(string datasetType, string datasetDir, DatasetDetails details, string relative)
    {
        var key = details.FileInfo.ContainsKey(relative) ? relative : "JPEGImages/" + Path.GetFileName(relative);
        if (!details.FileInfo.TryGetValue(key, out var annotation))
        {
            return null;
        }

        using var original = ImageFiles.Load(Path.Combine(datasetDir, relative)) ?? throw new DatasetCheckException(DatasetMessages.ImageCorrupt(relative));
        var scale = Math.Min(1f, (float)MaxLongSide / Math.Max(original.Width, original.Height));
        var width = Math.Max(1, (int)(original.Width * scale));
        var height = Math.Max(1, (int)(original.Height * scale));
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        using (var image = SKImage.FromBitmap(original))
        {
            canvas.DrawImage(image, new SKRect(0, 0, width, height), new SKSamplingOptions(SKFilterMode.Linear));
        }

        var palette = Palette(Math.Max(details.Labels.Count, 1) + 1);
        var colorOf = details.Labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => palette[(p.i + 1) % palette.Length], StringComparer.Ordinal);
        switch (datasetType)
        {
            case "classification":
                Caption(canvas, width, annotation, palette[1]);
                break;
            case "detection":
                var voc = VocAnnotation.TryRead(Path.Combine(datasetDir, annotation));
                foreach (var o in voc?.Objects ?? [])
                {
                    Box(canvas, o.Name, o.XMin * scale, o.YMin * scale, o.XMax * scale, o.YMax * scale, colorOf.GetValueOrDefault(o.Name, palette[1]));
                }

                break;
            case "segmentation" or "remote_segmentation":
                BlendMask(canvas, Path.Combine(datasetDir, annotation), width, height);
                break;
            case "instance_segmentation":
                Instances(canvas, Path.Combine(datasetDir, annotation), scale, width, height, colorOf, palette[1]);
                break;
        }

        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>The PASCAL VOC / PaddleX pseudo-colour map.</summary>
    public static SKColor[] Palette(int count)
    {
        count = Math.Max(count, 256);
        var colors = new SKColor[count];
        for (var i = 0; i < count; i++)
        {
            int r = 0, g = 0, b = 0, lab = i, j = 0;
            while (lab > 0)
            {
                r |= ((lab >> 0) & 1) << (7 - j);
                g |= ((lab >> 1) & 1) << (7 - j);
                b |= ((lab >> 2) & 1) << (7 - j);
                j++;
                lab >>= 3;
            }

            colors[i] = new SKColor((byte)r, (byte)g, (byte)b);
        }

        return colors;
    }

    private static SKFont NewFont(float size) => new(Font.Value, size);

    private static void Caption(SKCanvas canvas, int width, string text, SKColor color)
    {
        var size = Math.Clamp(width / 10f, 10f, 28f);
        using var font = NewFont(size);
        using var background = new SKPaint { Color = color.WithAlpha(200), IsAntialias = true };
        using var ink = new SKPaint { Color = SKColors.White, IsAntialias = true };
        canvas.DrawRect(new SKRect(0, 0, width, size * 1.4f), background);
        canvas.DrawText(text, 3, size * 1.1f, SKTextAlign.Left, font, ink);
    }

    private static void Box(SKCanvas canvas, string name, double x1, double y1, double x2, double y2, SKColor color)
    {
        using var stroke = new SKPaint { Color = color, Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = true };
        canvas.DrawRect(new SKRect((float)x1, (float)y1, (float)x2, (float)y2), stroke);
        using var font = NewFont(12);
        using var fill = new SKPaint { Color = color, IsAntialias = true };
        using var ink = new SKPaint { Color = SKColors.White, IsAntialias = true };
        var textWidth = font.MeasureText(name);
        var top = (float)Math.Max(0, y1 - 15);
        canvas.DrawRect(new SKRect((float)x1, top, (float)x1 + textWidth + 4, top + 15), fill);
        canvas.DrawText(name, (float)x1 + 2, top + 12, SKTextAlign.Left, font, ink);
    }

    private static void BlendMask(SKCanvas canvas, string maskPath, int width, int height)
    {
        LabelMap? mask;
        using (var stream = File.OpenRead(maskPath))
        {
            mask = LabelPng.Read(stream);
        }

        if (mask is null)
        {
            return;
        }

        var palette = Palette(256);
        using var colored = new SKBitmap(new SKImageInfo(mask.Width, mask.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < mask.Height; y++)
        {
            for (var x = 0; x < mask.Width; x++)
            {
                var v = mask.Values[(y * mask.Width) + x];
                colored.SetPixel(x, y, palette[v % palette.Length].WithAlpha(128));
            }
        }

        using var image = SKImage.FromBitmap(colored);
        canvas.DrawImage(image, new SKRect(0, 0, width, height), new SKSamplingOptions(SKFilterMode.Nearest));
    }

    private static void Instances(SKCanvas canvas, string annotationPath, float scale, int width, int height, Dictionary<string, SKColor> colorOf, SKColor fallback)
    {
        JsonObject ann;
        using (var stream = File.OpenRead(annotationPath))
        {
            ann = JsonNode.Parse(stream)!.AsObject();
        }

        var classes = ann["gt_class"]!.AsArray();
        var boxes = ann["gt_bbox"]!.AsArray();
        var polys = ann["gt_poly"]!.AsArray();
        var h = (int)ann["h"]!;
        var w = (int)ann["w"]!;
        for (var i = 0; i < classes.Count; i++)
        {
            var name = (string)classes[i]!;
            var color = colorOf.GetValueOrDefault(name, fallback);
            using var fill = new SKPaint { Color = color.WithAlpha(178), IsAntialias = true, Style = SKPaintStyle.Fill };
            switch (polys[i])
            {
                case JsonArray polygons:
                    foreach (var polygon in polygons.OfType<JsonArray>())
                    {
                        var points = polygon.Select(v => (float)(double)v! * scale).ToArray();
                        using var path = new SKPath();
                        for (var p = 0; p + 1 < points.Length; p += 2)
                        {
                            if (p == 0)
                            {
                                path.MoveTo(points[p], points[p + 1]);
                            }
                            else
                            {
                                path.LineTo(points[p], points[p + 1]);
                            }
                        }

                        path.Close();
                        canvas.DrawPath(path, fill);
                    }

                    break;
                case JsonObject rle:
                    DrawRle(canvas, rle, h, w, width, height, color.WithAlpha(178));
                    break;
            }

            var box = boxes[i]!.AsArray().Select(v => (double)v! * scale).ToArray();
            Box(canvas, name, box[0], box[1], box[2], box[3], color);
        }
    }

    private static void DrawRle(SKCanvas canvas, JsonObject rle, int h, int w, int width, int height, SKColor color)
    {
        var counts = rle["counts"] switch
        {
            JsonArray array => array.Select(v => (int)v!).ToList(),
            JsonValue value when value.GetValueKind() == JsonValueKind.String => DecodeCompressedCounts((string)value!),
            _ => [],
        };
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(SKColors.Transparent);
        long position = 0;
        for (var c = 0; c < counts.Count; c++)
        {
            if (c % 2 == 1)
            {
                for (long p = position; p < position + counts[c] && p < (long)w * h; p++)
                {
                    bitmap.SetPixel((int)(p / h), (int)(p % h), color); // column-major, as COCO
                }
            }

            position += counts[c];
        }

        using var image = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(image, new SKRect(0, 0, width, height));
    }

    /// <summary>COCO's compressed RLE string (pycocotools rleFrString).</summary>
    public static List<int> DecodeCompressedCounts(string s)
    {
        var counts = new List<int>();
        var p = 0;
        while (p < s.Length)
        {
            long x = 0;
            var k = 0;
            var more = true;
            while (more && p < s.Length)
            {
                var c = s[p] - 48;
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0)
                {
                    x |= -1L << (5 * k);
                }
            }

            if (counts.Count > 2)
            {
                x += counts[^2];
            }

            counts.Add((int)x);
        }

        return counts;
    }
}
