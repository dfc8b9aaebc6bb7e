using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;

namespace PaddleX.Cloud.Inference;

/// <summary>One prediction: the best label, its probability, and all class probabilities.</summary>
public sealed record Prediction(string Label, int Index, float Score, float[] Probabilities);

/// <summary>The fields of an export folder's <c>model.json</c> this package reads.</summary>
public sealed record ModelInfo
{
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    [JsonPropertyName("file")] public string File { get; init; } = "model.onnx";
    [JsonPropertyName("labels")] public string[] Labels { get; init; } = [];
    [JsonPropertyName("input_size")] public int[] InputSize { get; init; } = [];
    [JsonPropertyName("mean")] public double[] Mean { get; init; } = [];
    [JsonPropertyName("std")] public double[] Std { get; init; } = [];
    [JsonPropertyName("input")] public string Input { get; init; } = "image";
}

/// <summary>
/// Loads an export folder (<c>model.onnx</c> + <c>model.json</c>) and classifies pictures with ONNX Runtime
/// (CPU), preparing them as training did: decode RGB, bilinear resize to the input size, scale to [0,1],
/// normalise by mean/std, NCHW.
/// </summary>
public sealed class ExportedClassifier : IDisposable
{
    private static readonly SKSamplingOptions Bilinear = new(SKFilterMode.Linear, SKMipmapMode.None);
    private readonly InferenceSession session;

    public ExportedClassifier(string exportDir, SessionOptions? options = null)
    {
        Info = JsonSerializer.Deserialize<ModelInfo>(File.ReadAllText(Path.Combine(exportDir, "model.json")))
            ?? throw new InvalidDataException("empty model.json");
        session = options is null ? new InferenceSession(Path.Combine(exportDir, Info.File)) : new InferenceSession(Path.Combine(exportDir, Info.File), options);
    }

    public ModelInfo Info { get; }

    public Prediction Predict(string imagePath)
    {
        using var bitmap = Decode(File.ReadAllBytes(imagePath));
        return PredictBatch([bitmap])[0];
    }

    public Prediction Predict(byte[] encoded)
    {
        using var bitmap = Decode(encoded);
        return PredictBatch([bitmap])[0];
    }

    /// <summary>Classifies several decoded pictures in one run.</summary>
    public IReadOnlyList<Prediction> PredictBatch(IReadOnlyList<SKBitmap> pictures)
    {
        int w = Info.InputSize[0], h = Info.InputSize[1], plane = w * h;
        var data = new float[pictures.Count * 3 * plane];
        for (var i = 0; i < pictures.Count; i++)
        {
            Fill(pictures[i], data.AsSpan(i * 3 * plane, 3 * plane), w, h);
        }

        var input = new DenseTensor<float>(data, [pictures.Count, 3, h, w]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(Info.Input, input)]);
        var probs = results.First(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
        var classes = Info.Labels.Length;
        var output = new List<Prediction>(pictures.Count);
        for (var i = 0; i < pictures.Count; i++)
        {
            var row = probs.AsSpan(i * classes, classes).ToArray();
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }

            output.Add(new Prediction(Info.Labels[best], best, row[best], row));
        }

        return output;
    }

    /// <summary>Decodes a picture into unpremultiplied RGBA.</summary>
    public static SKBitmap Decode(byte[] encoded)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("cannot decode the picture");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            bitmap.Dispose();
            throw new InvalidDataException($"cannot decode the picture: {result}");
        }

        return bitmap;
    }

    private void Fill(SKBitmap picture, Span<float> chw, int w, int h)
    {
        using var resized = picture.Width == w && picture.Height == h
            ? picture.Copy()
            : picture.Resize(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul), Bilinear) ?? throw new InvalidOperationException("resize failed");
        var px = resized.GetPixelSpan();
        int plane = w * h, stride = resized.RowBytes;
        for (var c = 0; c < 3; c++)
        {
            float scale = (float)(1.0 / (255.0 * Info.Std[c])), shift = (float)(Info.Mean[c] / Info.Std[c]);
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    chw[(c * plane) + (y * w) + x] = (px[(y * stride) + (x * 4) + c] * scale) - shift;
                }
            }
        }
    }

    public void Dispose() => session.Dispose();
}
