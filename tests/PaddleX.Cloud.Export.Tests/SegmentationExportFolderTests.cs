using System.Text.Json.Nodes;
using PaddleX.Cloud.Inference;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Training;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>A segmentation checkpoint exported as a folder: model.json records what a deployment needs, and
/// the inference package segments pictures (RGB) and band planes (remote sensing) as the TorchSharp model does.</summary>
[Collection(LibTorchCollection.Name)]
public sealed class SegmentationExportFolderTests : IDisposable
{
    private static readonly string[] Labels = ["background", "road", "field"];
    private readonly string root = Directory.CreateTempSubdirectory("seg-export-").FullName;

    [Fact]
    public void Rgb_picture_is_segmented_like_TorchSharp_and_drawn_as_an_overlay()
    {
        using var model = ExportTestModels.Segmenter("BiSeNetV2", Labels.Length, 3);
        var state = new CheckpointState
        {
            Model = "BiSeNetV2", Task = "segmentation", Labels = Labels, ImageShape = [64, 64],
            ImageMean = [0.5, 0.5, 0.5], ImageStd = [0.5, 0.5, 0.5], InChannels = 3,
        };
        var save = Export(model, state);

        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(save, ExportFolder.InfoFile)))!;
        Assert.Equal("segmentation", info["task"]!.GetValue<string>());
        Assert.Equal("BiSeNetV2", info["model"]!.GetValue<string>());
        Assert.Equal(3, info["in_channels"]!.GetValue<int>());
        Assert.Equal(["logits", "label_map", "probabilities"], info["outputs"]!.AsArray().Select(o => o!.GetValue<string>()));
        Assert.Equal(Labels, info["labels"]!.AsArray().Select(o => o!.GetValue<string>()));
        Assert.True(info["dynamic_size"]!.GetValue<bool>());

        using var picture = Picture(64, 64);
        using var segmenter = new ExportedSegmenter(save);
        var result = segmenter.Segment(picture);
        var expected = TorchLabels(model, PicturePlanes(picture), 3, 64, 64, state);
        Assert.True(Agreement(expected, result.LabelMap) >= 0.999, "ONNX labels differ from TorchSharp's");
        Assert.True(result.Histogram().Count(n => n > 0) >= 2, "a random network should still produce more than one label");

        // A picture of another size: the label map comes back at the picture's size, drawn over it.
        using var big = Picture(96, 80);
        var bigResult = segmenter.Segment(big);
        Assert.Equal((96, 80, 96 * 80), (bigResult.Width, bigResult.Height, bigResult.LabelMap.Length));
        using var overlay = SKBitmap.Decode(ExportedSegmenter.OverlayPng(big, bigResult));
        Assert.Equal((96, 80), (overlay.Width, overlay.Height));
        var (px, label) = (big.GetPixel(40, 30), bigResult.LabelMap[(30 * 96) + 40]);
        var colour = ExportedSegmenter.Colour(label);
        Assert.InRange(overlay.GetPixel(40, 30).Red, ((px.Red + colour.Red) / 2) - 2, ((px.Red + colour.Red) / 2) + 2);
        Assert.Equal(new SKColor(128, 0, 0), ExportedSegmenter.Colour(1));
        Assert.Throws<InvalidDataException>(() => new ExportedClassifier(save));
    }

    [Fact]
    public void Remote_sensing_bands_are_segmented_like_TorchSharp()
    {
        using var model = ExportTestModels.Segmenter("UNet", Labels.Length, 4);
        var state = new CheckpointState
        {
            Model = "UNet", Task = "remote_segmentation", Labels = Labels, ImageShape = [32, 32],
            ImageMean = [0.3, 0.4, 0.5, 0.6], ImageStd = [0.2, 0.25, 0.3, 0.35], InChannels = 4,
        };
        var save = Export(model, state, OnnxWeights.Float16);
        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(save, ExportFolder.InfoFile)))!;
        Assert.Equal("remote_segmentation", info["task"]!.GetValue<string>());
        Assert.Equal(4, info["in_channels"]!.GetValue<int>());
        Assert.Equal([0.3, 0.4, 0.5, 0.6], info["mean"]!.AsArray().Select(o => o!.GetValue<double>()));
        Assert.Equal("float16", info["weights"]!.GetValue<string>());

        var bands = new float[4 * 32 * 32];
        var random = new Random(3);
        for (var i = 0; i < bands.Length; i++)
        {
            bands[i] = random.Next(0, 256);
        }

        using var segmenter = new ExportedSegmenter(save);
        Assert.Equal("remote_segmentation", segmenter.Info.Task);
        var result = segmenter.Segment(bands, 32, 32);
        var expected = TorchLabels(model, bands, 4, 32, 32, state);
        Assert.True(Agreement(expected, result.LabelMap) >= 0.999, "fp16 ONNX labels differ from TorchSharp's");
        Assert.Throws<ArgumentException>(() => segmenter.Segment(new float[3 * 32 * 32], 32, 32));
    }

    private string Export(nn.Module<Tensor, Tensor> model, CheckpointState state, OnnxWeights weights = OnnxWeights.Float32)
    {
        var checkpoint = Path.Combine(root, "checkpoint");
        using var optimizer = optim.SGD(model.parameters(), 0.01);
        Checkpoints.Save(checkpoint, model, optimizer, state);
        var save = Path.Combine(root, "save");
        ExportFolder.Write(checkpoint, save, weights);
        return save;
    }

    private static SKBitmap Picture(int w, int h)
    {
        var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 255 / w), (byte)(y * 255 / h), (byte)((x + y) % 2 == 0 ? 200 : 40)));
            }
        }

        return bitmap;
    }

    private static float[] PicturePlanes(SKBitmap picture)
    {
        int w = picture.Width, h = picture.Height;
        var planes = new float[3 * w * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var c = picture.GetPixel(x, y);
                (planes[(y * w) + x], planes[(w * h) + (y * w) + x], planes[(2 * w * h) + (y * w) + x]) = (c.Red, c.Green, c.Blue);
            }
        }

        return planes;
    }

    /// <summary>The TorchSharp model's labels for raw band values normalised as training does.</summary>
    private static int[] TorchLabels(nn.Module<Tensor, Tensor> model, float[] raw, int bands, int h, int w, CheckpointState state)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tensor(raw, [1, bands, h, w]) / 255.0;
        x = (x - tensor(state.ImageMean, dtype: float32).reshape(1, bands, 1, 1)) / tensor(state.ImageStd, dtype: float32).reshape(1, bands, 1, 1);
        return model.call(x).argmax(1).to(int32).data<int>().ToArray();
    }

    private static double Agreement(int[] a, int[] b) => a.Zip(b, (x, y) => x == y ? 1.0 : 0.0).Average();

    public void Dispose() => Directory.Delete(root, recursive: true);
}
