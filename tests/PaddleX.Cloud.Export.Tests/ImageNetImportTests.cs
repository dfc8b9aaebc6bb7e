using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Models;
using PaddleX.Cloud.Vision.Models.Classification;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>The ResNet18 IMAGENET weights imported from the packaged ONNX reproduce, in the engine's ResNet18 of the
/// CNTK layout, the features ONNX Runtime computes with the original file (224×224, batch 1).</summary>
public sealed class ImageNetImportTests
{
    private const int Size = 224;

    [Fact]
    public void Imported_backbone_reproduces_the_onnx_features_within_1e_4()
    {
        Assert.True(File.Exists(BuiltInWeights.OnnxFile), $"the build did not copy {BuiltInWeights.OnnxFile}");
        torch.set_num_threads(2);
        float[] pixels = Pixels(seed: 3);
        float[] cntkInput = RunOnnx(BuiltInWeights.PreprocessFile, "OriginalInput", pixels, "PreprocessedInput");
        float[] expected = RunOnnx(BuiltInWeights.OnnxFile, ResNet18OnnxImport.InputName, cntkInput, ResNet18OnnxImport.FeatureName);
        Assert.Equal(512, expected.Length);

        Dictionary<string, Tensor> raw = ResNet18OnnxImport.ReadRaw(BuiltInWeights.OnnxFile);
        Assert.Equal(110, raw.Count); // every initializer of the file has a torchvision name
        Assert.Equal(ClassificationModels.CntkLayout, ClassificationModels.LayoutOf("ResNet18", raw.Keys));
        using var model = ClassificationModels.Create("ResNet18", 1000, ClassificationModels.CntkLayout);
        PretrainResult loaded = Load(model, raw);
        Assert.Equal(110, loaded.LoadedTensors);
        Assert.All(loaded.Skipped, s => Assert.True(s.StartsWith("fc.", StringComparison.Ordinal) || s.Contains("num_batches_tracked", StringComparison.Ordinal), s));

        float[] actual = Features(model, cntkInput);
        double diff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(diff <= 1e-4, $"max abs feature difference {diff:E2} (feature max {expected.Max():F3})");
        Assert.True(expected.Max() > 0.5, "features are all near zero: the comparison would prove nothing");

        // The converted weights (what IMAGENET loads) see RGB normalised with PaddleX's ImageNet mean/std: same
        // features up to the mean image's per-pixel variation, which CNTK subtracted and the conversion averages.
        Dictionary<string, Tensor> converted = ResNet18OnnxImport.ForNormalizedRgb(raw, ResNet18OnnxImport.ReadMeanPixel(BuiltInWeights.PreprocessFile), BuiltInWeights.ImageMean, BuiltInWeights.ImageStd);
        using var tuned = ClassificationModels.Create("ResNet18", 1000, ClassificationModels.CntkLayout);
        Load(tuned, converted);
        float[] viaNormalized = Features(tuned, Normalize(pixels));
        double cosine = Cosine(expected, viaNormalized);
        double relative = Math.Sqrt(expected.Zip(viaNormalized, (a, b) => (a - b) * (a - b)).Sum() / expected.Sum(a => a * a));
        Assert.True(cosine > 0.999 && relative < 0.05, $"normalised-RGB features: cosine {cosine:F4}, relative error {relative:F4}");
    }

    private static PretrainResult Load(nn.Module model, Dictionary<string, Tensor> tensors)
    {
        string file = Path.Combine(Path.GetTempPath(), $"pdx-import-{Guid.NewGuid():N}.dat");
        try
        {
            PretrainedWeights.WriteStateDict(file, tensors);
            return PretrainedWeights.LoadMatching(model, file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A smooth random RGB picture in [0, 255] (planar CHW), so the features are those of image-like input.</summary>
    private static float[] Pixels(int seed)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)seed);
        Tensor coarse = rand([1, 3, 14, 14], generator: generator) * 255;
        Tensor picture = nn.functional.interpolate(coarse, [Size, Size], mode: InterpolationMode.Bilinear, align_corners: false);
        return picture.clamp(0, 255).data<float>().ToArray();
    }

    private static float[] Normalize(float[] pixels)
    {
        var x = new float[pixels.Length];
        int plane = Size * Size;
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane;
            x[i] = (float)((pixels[i] / 255.0 - BuiltInWeights.ImageMean[c]) / BuiltInWeights.ImageStd[c]);
        }

        return x;
    }

    private static float[] RunOnnx(string file, string input, float[] data, string output)
    {
        using var session = new InferenceSession(file);
        var tensor = new DenseTensor<float>(data, [1, 3, Size, Size]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, tensor)]);
        return results.First(r => r.Name == output).AsEnumerable<float>().ToArray();
    }

    /// <summary>The ResNet up to the global average pool (every child but <c>fc</c>; <c>flatten</c> is harmless).</summary>
    private static float[] Features(nn.Module model, float[] input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        Tensor x = tensor(input, [1, 3, Size, Size]);
        foreach (var (name, child) in model.named_children())
        {
            if (name != "fc")
            {
                x = ((nn.Module<Tensor, Tensor>)child).call(x);
            }
        }

        return x.flatten().data<float>().ToArray();
    }

    private static double Cosine(float[] a, float[] b) =>
        a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(y => (double)y * y));
}
