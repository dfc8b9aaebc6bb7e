using System.Text.Json;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Datasets.Rendering;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Metrics;
using SkiaSharp;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>Detections with a score of at least <paramref name="scoreThreshold"/> drawn as labelled boxes, with their
/// masks for instance segmentation; the test split's ground truth (boxes, outlines) drawn beside the prediction.</summary>
internal sealed class DetectionPictures(string checkpointDir, double scoreThreshold) : IPictureModel
{
    private readonly DetectionPredictor predictor = new(checkpointDir);

    public IReadOnlyList<(string Source, string Output, object? Truth)>? TestInputs(string datasetDir) =>
        DetectionDataset.TryLoad(datasetDir, "test")?.Samples
            .Select(s => (s.ImagePath, OutputName(s.ImagePath), (object?)s)).ToList();

    /// <summary><c>&lt;stem&gt;.png</c>, as the original names detection results.</summary>
    public string OutputName(string path) => Path.GetFileNameWithoutExtension(path) + ".png";

    public (byte[] Png, JsonObject Result) Predict(string source, object? truth)
    {
        using var picture = Vision.Data.ImageIO.Decode(source);
        var image = PlanarImage.FromBitmap(picture);
        var kept = predictor.Predict(image).Where(d => d.Score >= scoreThreshold).ToList();
        var labels = predictor.Labels;
        var boxes = new JsonArray(kept.Select(d => (JsonNode?)Describe(d, labels)).ToArray());
        var result = new JsonObject { ["boxes"] = boxes, ["width"] = image.Width, ["height"] = image.Height };
        var sample = truth as DetectionSample;
        var groundTruth = sample?.Objects.Select(o => new BoxDetection(o.Label, float.NaN, o.X1, o.Y1, o.X2, o.Y2)).ToList();
        if (!predictor.Detector.ProducesMasks)
        {
            return (DetectionRenderer.Render(picture, kept, labels, groundTruth), result);
        }

        var masks = kept.Select(d => d.Mask is { } rle ? PictureMask.FromRle(rle) : null).ToList();
        var truthMasks = sample?.Objects.Select(o => PictureMask.Of(o, picture.Width, picture.Height)).ToList();
        return (DetectionRenderer.Render(picture, kept, labels, groundTruth, masks, truthMasks), result);
    }

    public void Dispose() => predictor.Dispose();

    /// <summary>{category, category_id, score, bbox [x, y, w, h]} and, with a mask, its COCO RLE
    /// (<c>segmentation</c> {size [h, w], counts}) and pixel <c>area</c>.</summary>
    private static JsonObject Describe(BoxDetection d, IReadOnlyList<string> labels)
    {
        var box = new JsonObject
        {
            ["category"] = labels[d.Label],
            ["category_id"] = d.Label,
            ["score"] = d.Score,
            ["bbox"] = new JsonArray(d.Xywh.Select(v => (JsonNode?)Math.Round(v, 2)).ToArray()),
        };
        if (d.Mask is { } mask)
        {
            box["segmentation"] = JsonSerializer.SerializeToNode(CocoSegmentation.FromRle(mask));
            box["area"] = mask.Area;
        }

        return box;
    }
}

/// <summary>Draws detections on a picture (long side 400 px): a box per object in its class colour with
/// "label score" above it and, for instance segmentation, its mask blended in over the picture (the class colour
/// lightened 40 % towards white, 70 % opaque, as PaddleX draws masks; the best-scoring object on top); ground truth
/// (no score) in a second panel.</summary>
public static class DetectionRenderer
{
    private static readonly Lazy<SKTypeface> Font = new(() =>
    {
        var assembly = typeof(AnnotationRenderer).Assembly;
        using var stream = assembly.GetManifestResourceStream("PaddleX.Cloud.Datasets.DejaVuSans.ttf");
        return (stream is null ? null : SKTypeface.FromStream(stream)) ?? SKTypeface.Default;
    });

    /// <param name="masks">one mask per detection (instance segmentation; a null entry or a mask of another size
    /// than the picture draws no mask), or null.</param>
    /// <param name="truthMasks">the same for <paramref name="truth"/>.</param>
    public static byte[] Render(
        SKBitmap picture,
        IReadOnlyList<BoxDetection> detections,
        IReadOnlyList<string> names,
        IReadOnlyList<BoxDetection>? truth,
        IReadOnlyList<PictureMask?>? masks = null,
        IReadOnlyList<PictureMask?>? truthMasks = null)
    {
        float scale = 400f / Math.Max(picture.Width, picture.Height);
        int dw = Math.Max(1, (int)(picture.Width * scale)), dh = Math.Max(1, (int)(picture.Height * scale));
        int panels = truth is null ? 1 : 2;
        const int title = 24;
        using var surface = SKSurface.Create(new SKImageInfo(dw * panels, dh + title, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        var palette = AnnotationRenderer.Palette(names.Count + 1);
        using var font = new SKFont(Font.Value, 15);
        using var paint = new SKPaint { IsAntialias = true, Color = SKColors.Black };
        canvas.DrawText("Prediction", 4, 17, font, paint);
        Panel(canvas, picture, detections, masks, names, palette, 0, title, dw, dh, scale);
        if (truth is not null)
        {
            paint.Color = SKColors.Black;
            canvas.DrawText("Ground truth", dw + 4, 17, font, paint);
            Panel(canvas, picture, truth, truthMasks, names, palette, dw, title, dw, dh, scale);
        }

        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Colour of class <paramref name="label"/>; palette colour 0 is black, so classes start at 1 as in the
    /// dataset renderer.</summary>
    private static SKColor ClassColour(SKColor[] palette, int label) => palette[(label + 1) % palette.Length];

    private static void Panel(SKCanvas canvas, SKBitmap picture, IReadOnlyList<BoxDetection> boxes, IReadOnlyList<PictureMask?>? masks, IReadOnlyList<string> names, SKColor[] palette, int left, int top, int dw, int dh, float scale)
    {
        var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None);
        using (var image = SKImage.FromBitmap(picture))
        {
            canvas.DrawImage(image, SKRect.Create(left, top, dw, dh), sampling);
        }

        if (masks is not null)
        {
            using var overlay = MaskOverlay(picture.Width, picture.Height, boxes, masks, palette);
            using var image = SKImage.FromBitmap(overlay);
            canvas.DrawImage(image, SKRect.Create(left, top, dw, dh), sampling);
        }

        using var font = new SKFont(Font.Value, 12);
        using var stroke = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 2 };
        using var fill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        using var text = new SKPaint { IsAntialias = true, Color = SKColors.White };
        canvas.Save();
        canvas.ClipRect(SKRect.Create(left, top, dw, dh));
        foreach (var d in boxes)
        {
            var colour = ClassColour(palette, d.Label);
            var rect = new SKRect(left + (d.X1 * scale), top + (d.Y1 * scale), left + (d.X2 * scale), top + (d.Y2 * scale));
            stroke.Color = colour;
            canvas.DrawRect(rect, stroke);
            string caption = float.IsNaN(d.Score) ? names[d.Label] : $"{names[d.Label]} {d.Score:0.00}";
            float width = font.MeasureText(caption);
            fill.Color = colour;
            float y = Math.Max(top + 14, rect.Top);
            canvas.DrawRect(new SKRect(rect.Left, y - 14, rect.Left + width + 4, y), fill);
            canvas.DrawText(caption, rect.Left + 2, y - 3, font, text);
        }

        canvas.Restore();
    }

    /// <summary>The masks as one translucent layer of the picture's size, drawn from the last (lowest-scoring)
    /// object to the first so the best one lies on top.</summary>
    private static SKBitmap MaskOverlay(int width, int height, IReadOnlyList<BoxDetection> boxes, IReadOnlyList<PictureMask?> masks, SKColor[] palette)
    {
        const byte opacity = 178; // 70 %
        var pixels = new byte[width * height * 4];
        for (int i = Math.Min(boxes.Count, masks.Count) - 1; i >= 0; i--)
        {
            if (masks[i] is not { } mask || mask.Width != width || mask.Height != height)
            {
                continue;
            }

            var c = ClassColour(palette, boxes[i].Label);
            byte r = Lighten(c.Red), g = Lighten(c.Green), b = Lighten(c.Blue);
            for (int p = 0; p < mask.Pixels.Length; p++)
            {
                if (mask.Pixels[p] != 0)
                {
                    pixels[p * 4] = r;
                    pixels[(p * 4) + 1] = g;
                    pixels[(p * 4) + 2] = b;
                    pixels[(p * 4) + 3] = opacity;
                }
            }
        }

        var overlay = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, overlay.GetPixels(), pixels.Length);
        return overlay;
    }

    private static byte Lighten(byte channel) => (byte)Math.Round((channel * 0.6) + (255 * 0.4));
}
