using PaddleX.Cloud.Inference;
using PaddleX.Cloud.Vision.Detection.Data;
using SkiaSharp;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>The inference package resizes a picture as the engine evaluated it, for each interpolation model.json
/// can name: same pixels up to 8-bit rounding.</summary>
public sealed class ResizeParityTests
{
    [Theory]
    [InlineData("linear", 64, 48)]
    [InlineData("linear", 32, 20)]
    [InlineData("cubic", 64, 48)]
    [InlineData("cubic", 32, 20)]
    public void The_inference_package_resizes_like_the_engine(string interpolation, int w, int h)
    {
        using var picture = Picture(45, 30);
        var engine = Resampler.Resize(PlanarImage.FromBitmap(picture), w, h, interpolation == "cubic" ? Interpolation.Cubic : Interpolation.Linear);
        using var resized = ExportedModel.Resize(picture, w, h, interpolation);

        var worst = 0f;
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var pixel = resized.GetPixel(x, y);
                    var value = c switch { 0 => pixel.Red, 1 => pixel.Green, _ => pixel.Blue };
                    worst = Math.Max(worst, Math.Abs(value - engine.Data[(c * w * h) + (y * w) + x]));
                }
            }
        }

        Assert.True(worst <= 1.5f, $"{interpolation}: the largest difference is {worst} levels");
    }

    [Fact]
    public void An_unknown_interpolation_is_refused()
    {
        using var picture = Picture(8, 8);
        Assert.Throws<InvalidDataException>(() => ExportedModel.Resize(picture, 4, 4, "lanczos"));
    }

    /// <summary>Smooth gradients plus a sharp square: both the kernels' interior and their overshoot at edges count.</summary>
    private static SKBitmap Picture(int w, int h)
    {
        var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var inSquare = x is >= 10 and < 25 && y is >= 8 and < 20;
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 255 / w), inSquare ? (byte)250 : (byte)5, (byte)((x * y) % 256), 255));
            }
        }

        return bitmap;
    }
}
