using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace PaddleX.Cloud.Inference;

/// <summary>
/// An export folder (<c>model.onnx</c> + <c>model.json</c>) loaded into ONNX Runtime (CPU), with the
/// preprocessing training used: decode RGB, bilinear resize to the input size, scale to [0,1], normalise by
/// mean/std per channel, NCHW.
/// </summary>
public abstract class ExportedModel : IDisposable
{
    private static readonly SKSamplingOptions Bilinear = new(SKFilterMode.Linear, SKMipmapMode.None);

    // Keys' cubic with a = −0.75 (B = 0, C = 0.75), OpenCV's INTER_CUBIC kernel that the engine evaluates with.
    private static readonly SKSamplingOptions Bicubic = new(new SKCubicResampler(0f, 0.75f));

    /// <param name="tasks">The model.json <c>task</c> values this class runs (a remote-sensing segmenter is a
    /// segmenter too).</param>
    protected ExportedModel(string exportDir, SessionOptions? options, params string[] tasks)
    {
        Info = JsonSerializer.Deserialize<ModelInfo>(File.ReadAllText(Path.Combine(exportDir, "model.json")))
            ?? throw new InvalidDataException("empty model.json");
        if (!tasks.Contains(Info.Task))
        {
            throw new InvalidDataException($"{exportDir} holds a {Info.Task} model, not {string.Join(" or ", tasks)}");
        }

        var path = Path.Combine(exportDir, Info.File);
        Session = options is null ? new InferenceSession(path) : new InferenceSession(path, options);
    }

    public ModelInfo Info { get; }

    protected InferenceSession Session { get; }

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

    /// <summary>Writes the normalised RGB planes of <paramref name="picture"/>, resized to w×h, into <paramref name="chw"/>.</summary>
    protected void Fill(SKBitmap picture, Span<float> chw, int w, int h) => Fill(picture, chw, w, h, w, h);

    /// <summary>Writes <paramref name="picture"/>, resized to w×h and normalised, into the top-left corner of the
    /// canvasWidth×canvasHeight planes <paramref name="chw"/> (the rest is left as it is: zeros in a new array).</summary>
    protected void Fill(SKBitmap picture, Span<float> chw, int w, int h, int canvasWidth, int canvasHeight)
    {
        using var resized = Resize(picture, w, h, Info.Interpolation);
        var px = resized.GetPixelSpan();
        int plane = canvasWidth * canvasHeight, stride = resized.RowBytes;
        for (var c = 0; c < 3; c++)
        {
            float scale = (float)(1.0 / (255.0 * Info.Std[c])), shift = (float)(Info.Mean[c] / Info.Std[c]);
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    chw[(c * plane) + (y * canvasWidth) + x] = (px[(y * stride) + (x * 4) + c] * scale) - shift;
                }
            }
        }
    }

    /// <summary>The picture resized to w×h with model.json's <c>interpolation</c> (<c>linear</c> or <c>cubic</c>).</summary>
    public static SKBitmap Resize(SKBitmap picture, int w, int h, string interpolation)
    {
        if (picture.Width == w && picture.Height == h)
        {
            return picture.Copy();
        }

        var sampling = interpolation switch
        {
            "linear" => Bilinear,
            "cubic" => Bicubic,
            _ => throw new InvalidDataException($"model.json: unknown interpolation '{interpolation}' (linear or cubic)"),
        };
        return picture.Resize(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul), sampling) ?? throw new InvalidOperationException("resize failed");
    }

    public void Dispose()
    {
        Session.Dispose();
        GC.SuppressFinalize(this);
    }
}
