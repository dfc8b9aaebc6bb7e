using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Classification;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>The ONNX graph written from TorchSharp weights computes what the TorchSharp model computes
/// in eval mode, for every classification model, at batch 1, 2 and 3 (dynamic batch).</summary>
public sealed class OnnxParityTests
{
    public static TheoryData<string> Names() => new(ClassificationModels.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void Float32_export_matches_TorchSharp_within_1e_4(string name)
    {
        var (model, bytes, size) = Export(name, OnnxWeights.Float32);
        using (model)
        {
            using var session = new InferenceSession(bytes);
            foreach (var batch in new[] { 2, 1, 3 })
            {
                var (expected, actual) = Compare(model, session, batch, size, seed: batch);
                var diff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
                Assert.True(diff <= 1e-4, $"{name} batch {batch}: max abs diff {diff:E2}");
                Assert.Equal(batch * 5, actual.Length);
            }
        }
    }

    [Theory]
    [InlineData("ResNet18")]
    [InlineData("MobileNetV2")]
    [InlineData("MobileNetV3_small")]
    public void Float16_lite_export_is_close_with_the_same_top1(string name)
    {
        var (model, bytes, size) = Export(name, OnnxWeights.Float16);
        var (_, full, _) = Export(name, OnnxWeights.Float32, model);
        Assert.True(bytes.Length < full.Length * 0.6, $"fp16 model {bytes.Length} bytes is not much smaller than {full.Length}");
        using (model)
        {
            using var session = new InferenceSession(bytes);
            var (expected, actual) = Compare(model, session, 2, size, seed: 7);
            var diff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(diff <= 2e-2, $"{name} fp16: max abs diff {diff:E2}");
            for (var row = 0; row < 2; row++)
            {
                Assert.Equal(ArgMax(expected.AsSpan(row * 5, 5)), ArgMax(actual.AsSpan(row * 5, 5)));
            }
        }
    }

    private static (nn.Module<Tensor, Tensor> Model, byte[] Bytes, int Size) Export(string name, OnnxWeights weights, nn.Module<Tensor, Tensor>? existing = null)
    {
        var model = existing ?? ExportTestModels.Classifier(name, 5);
        var size = name.StartsWith("MobileNetV3", StringComparison.Ordinal) ? 64 : 48;
        return (model, OnnxExporter.Export(model, name, 5, weights), size);
    }

    private static (float[] Expected, float[] Actual) Compare(nn.Module<Tensor, Tensor> model, InferenceSession session, int batch, int size, int seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        var x = randn([batch, 3, size, size], generator: generator);
        var expected = model.call(x).data<float>().ToArray();
        var input = new DenseTensor<float>(x.data<float>().ToArray(), [batch, 3, size, size]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, input)]);
        var actual = results.First(r => r.Name == OnnxExporter.LogitsName).AsEnumerable<float>().ToArray();
        var probs = results.First(r => r.Name == OnnxExporter.ProbabilitiesName).AsEnumerable<float>().ToArray();
        Assert.Equal(batch, Math.Round(probs.Sum()), 3);
        return (expected, actual);
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++)
        {
            if (v[i] > v[best])
            {
                best = i;
            }
        }

        return best;
    }
}
