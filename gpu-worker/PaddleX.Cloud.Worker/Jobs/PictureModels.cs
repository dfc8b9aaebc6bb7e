using System.Text.Json.Nodes;
using PaddleX.Cloud.Datasets.Images;
using PaddleX.Cloud.Vision.Data;
using PaddleX.Cloud.Vision.Inference;
using PaddleX.Cloud.Vision.Training;
using SkiaSharp;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>What the predict job needs of a trained model, per task family: the test split with its
/// ground truth, output names, and one picture predicted and drawn.</summary>
internal interface IPictureModel : IDisposable
{
    /// <summary>The test split (picture, output name, ground truth for the drawing) or null without <c>test_list.txt</c>.</summary>
    IReadOnlyList<(string Source, string Output, object? Truth)>? TestInputs(string datasetDir);

    string OutputName(string path);

    /// <summary>Predicts one picture file, draws the result PNG and returns its machine-readable result.</summary>
    /// <exception cref="InvalidDataException">the picture cannot be decoded.</exception>
    (byte[] Png, JsonObject Result) Predict(string source, object? truth);

    /// <summary>Opens the checkpoint with the model of its own task family.</summary>
    /// <param name="scoreThreshold">detection and instance segmentation: the lowest score drawn and reported.</param>
    public static IPictureModel Open(string checkpointDir, double scoreThreshold = 0.5) => Checkpoints.ReadState(checkpointDir).Task switch
    {
        "segmentation" or "remote_segmentation" => new SegmentationPictures(checkpointDir),
        "detection" or "instance_segmentation" => new DetectionPictures(checkpointDir, scoreThreshold),
        _ => new ClassificationPictures(checkpointDir),
    };
}

/// <summary>Top-k labels beside the picture; the test split's true label in green or red.</summary>
internal sealed class ClassificationPictures(string checkpointDir) : IPictureModel
{
    private readonly ClassificationPredictor predictor = new(checkpointDir);

    public IReadOnlyList<(string Source, string Output, object? Truth)>? TestInputs(string datasetDir) =>
        ClassificationDataset.TryLoad(datasetDir, "test_list.txt", predictor.Labels)?.Samples
            .Select(s => (s.Path, OutputName(s.Path), (object?)s.Label)).ToList();

    /// <summary><c>&lt;parent folder&gt;_&lt;stem&gt;.png</c>, as the original names classification results.</summary>
    public string OutputName(string path) => PredictJobHandler.OutputName(path);

    public (byte[] Png, JsonObject Result) Predict(string source, object? truth)
    {
        using var picture = ImageIO.Decode(source);
        var scores = predictor.Predict(picture);
        var best = ClassificationPredictor.TopK(scores, 1)[0];
        var t = truth as int?;
        var result = new JsonObject { ["label"] = predictor.Labels[best.Index], ["score"] = best.Score, ["true_label"] = t is int i ? predictor.Labels[i] : null };
        return (PredictionRenderer.Render(picture, predictor.Labels, scores, t), result);
    }

    public void Dispose() => predictor.Dispose();
}

/// <summary>The picture blended with the pseudo-coloured label map and a legend; the test split's
/// ground truth drawn beside the prediction. Multi-band pictures are drawn from their first three bands.</summary>
internal sealed class SegmentationPictures(string checkpointDir) : IPictureModel
{
    private readonly SegmentationPredictor predictor = new(checkpointDir);

    public IReadOnlyList<(string Source, string Output, object? Truth)>? TestInputs(string datasetDir) =>
        SegmentationDataset.TryLoad(datasetDir, "test_list.txt", predictor.Labels)?.Samples
            .Select(s => (s.Image, OutputName(s.Image), (object?)s.Mask)).ToList();

    /// <summary><c>&lt;stem&gt;.png</c>, as the original names segmentation results.</summary>
    public string OutputName(string path) => Path.GetFileNameWithoutExtension(path) + ".png";

    public (byte[] Png, JsonObject Result) Predict(string source, object? truth)
    {
        var image = RasterImage.Load(source);
        var labels = predictor.Predict(image);
        LabelMap? mask = truth is string maskPath ? SegmentationDataset.ReadMask(maskPath) : null;
        if (mask is not null && (mask.Width != image.Width || mask.Height != image.Height))
        {
            mask = null; // a label map of another size cannot be drawn beside the picture
        }

        using var picture = image.ToBitmap();
        var counts = new long[predictor.Labels.Count];
        foreach (var l in labels)
        {
            counts[l]++;
        }

        var result = new JsonObject
        {
            ["pixels"] = new JsonObject(predictor.Labels.Select((name, i) => KeyValuePair.Create(name, (JsonNode?)counts[i]))),
            ["width"] = image.Width,
            ["height"] = image.Height,
        };
        return (SegmentationRenderer.Render(picture, labels, predictor.Labels, mask), result);
    }

    public void Dispose() => predictor.Dispose();
}

/// <summary>Draws label maps: a fixed pseudo-colour per class (PaddleSeg's bit-spread palette), blended
/// 50 % over the picture, a legend of the classes present, and the ground truth beside when given.</summary>
public static class SegmentationRenderer
{
    private static readonly Lazy<SKTypeface> Font = new(() =>
    {
        var assembly = typeof(PaddleX.Cloud.Datasets.Rendering.AnnotationRenderer).Assembly;
        using var stream = assembly.GetManifestResourceStream("PaddleX.Cloud.Datasets.DejaVuSans.ttf");
        return (stream is null ? null : SKTypeface.FromStream(stream)) ?? SKTypeface.Default;
    });

    /// <summary>Colour of class <paramref name="c"/>: the bits of c spread over R, G and B (0 is black).</summary>
    public static SKColor Colour(int c)
    {
        int r = 0, g = 0, b = 0;
        for (int i = 0, v = c; v > 0; i++, v >>= 3)
        {
            r |= ((v >> 0) & 1) << (7 - i);
            g |= ((v >> 1) & 1) << (7 - i);
            b |= ((v >> 2) & 1) << (7 - i);
        }

        return new SKColor((byte)r, (byte)g, (byte)b);
    }

    public static byte[] Render(SKBitmap picture, byte[] predicted, IReadOnlyList<string> names, LabelMap? truth)
    {
        int w = picture.Width, h = picture.Height;
        double scale = 400.0 / Math.Max(w, h);
        int dw = Math.Max(1, (int)(w * scale)), dh = Math.Max(1, (int)(h * scale));
        int panels = truth is null ? 1 : 2;
        const int legendWidth = 200, title = 24;
        using var surface = SKSurface.Create(new SKImageInfo((dw * panels) + legendWidth, Math.Max(dh + title, title + (22 * (names.Count + 1))), SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(Font.Value, 15);
        using var paint = new SKPaint { IsAntialias = true, Color = SKColors.Black };
        DrawPanel(canvas, picture, predicted.Select(v => (int)v).ToArray(), 0, title, dw, dh);
        canvas.DrawText("Prediction", 4, 17, font, paint);
        if (truth is not null)
        {
            DrawPanel(canvas, picture, truth.Values.Select(v => (int)v).ToArray(), dw, title, dw, dh);
            canvas.DrawText("Ground truth", dw + 4, 17, font, paint);
        }

        float x = (dw * panels) + 12, y = title + 16;
        var present = new HashSet<int>(predicted.Select(v => (int)v));
        if (truth is not null)
        {
            present.UnionWith(truth.Values.Where(v => v < names.Count).Select(v => (int)v));
        }

        for (int c = 0; c < names.Count; c++)
        {
            paint.Color = Colour(c);
            canvas.DrawRect(SKRect.Create(x, y - 12, 14, 14), paint);
            paint.Color = present.Contains(c) ? SKColors.Black : SKColors.Gray;
            canvas.DrawText(names[c], x + 20, y, font, paint);
            y += 22;
        }

        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static void DrawPanel(SKCanvas canvas, SKBitmap picture, int[] labels, int left, int top, int dw, int dh)
    {
        using var blended = new SKBitmap(new SKImageInfo(picture.Width, picture.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var source = picture.GetPixelSpan();
        var px = new byte[picture.Width * picture.Height * 4];
        for (int i = 0; i < labels.Length; i++)
        {
            var colour = labels[i] == SegmentationDataset.IgnoreLabel ? SKColors.White : Colour(labels[i]);
            int o = (i / picture.Width * picture.RowBytes) + (i % picture.Width * 4);
            px[i * 4] = (byte)((source[o] + colour.Red) / 2);
            px[(i * 4) + 1] = (byte)((source[o + 1] + colour.Green) / 2);
            px[(i * 4) + 2] = (byte)((source[o + 2] + colour.Blue) / 2);
            px[(i * 4) + 3] = 255;
        }

        System.Runtime.InteropServices.Marshal.Copy(px, 0, blended.GetPixels(), px.Length);
        using var image = SKImage.FromBitmap(blended);
        canvas.DrawImage(image, SKRect.Create(left, top, dw, dh), new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None));
    }
}
