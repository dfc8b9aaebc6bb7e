using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Segmentation;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>The ONNX graph of every segmentation model computes what TorchSharp computes in eval mode:
/// logits within 1e-4 at batch 1 and 2 and at two spatial sizes (where the size is dynamic), label_map the
/// arg-max and probabilities the softmax of those logits; the fp16 "lite" graph gives the same label on
/// at least 99.9 % of the pixels.</summary>
public sealed class SegmentationOnnxParityTests
{
    private const int Classes = 3;

    public static TheoryData<string> Names() => new(SegmentationModels.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void Float32_export_matches_TorchSharp_within_1e_4(string name)
    {
        var bands = name == "UNet" ? 4 : 3;
        using var model = ExportTestModels.Segmenter(name, Classes, bands);
        var dynamic = model is not IFixedSizeExport;
        // A fixed-size graph is written for 96×64 px: its 3×2 pyramid-pooling input does not divide into 2
        // bins, so the uneven adaptive-pooling cells are compared too.
        var bytes = SegmentationOnnxExporter.Export(model, name, Classes, bands, [96, 64]);
        using var session = new InferenceSession(bytes);
        var sizes = dynamic ? new[] { (64, 64), (64, 96) } : new[] { (64, 96) };
        foreach (var (h, w) in sizes)
        {
            foreach (var batch in new[] { 2, 1 })
            {
                var r = Run(model, session, batch, bands, h, w, seed: batch + w);
                var diff = r.Expected.Zip(r.Logits, (a, b) => Math.Abs(a - b)).Max();
                Assert.True(diff <= 1e-4, $"{name} batch {batch} {h}×{w}: max abs diff {diff:E2}");
                Assert.Equal(batch * Classes * h * w, r.Logits.Length);
                Assert.Equal(ArgMax(r.Logits, batch, h * w), r.LabelMap);
                for (var p = 0; p < batch * h * w; p += 97)
                {
                    var (n, i) = (p / (h * w), p % (h * w));
                    var sum = Enumerable.Range(0, Classes).Sum(c => r.Probabilities[(((n * Classes) + c) * h * w) + i]);
                    Assert.Equal(1.0, sum, 4);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Float16_lite_export_gives_the_same_labels(string name)
    {
        using var model = ExportTestModels.Segmenter(name, Classes, 3);
        var full = SegmentationOnnxExporter.Export(model, name, Classes, 3, [64, 64]);
        var lite = SegmentationOnnxExporter.Export(model, name, Classes, 3, [64, 64], OnnxWeights.Float16);
        Assert.True(lite.Length < full.Length * 0.6, $"fp16 model {lite.Length} bytes is not much smaller than {full.Length}");
        using var session = new InferenceSession(lite);
        var r = Run(model, session, 2, 3, 64, 64, seed: 5);
        var expected = ArgMax(r.Expected, 2, 64 * 64);
        var same = expected.Zip(r.LabelMap, (a, b) => a == b).Count(s => s);
        Assert.True(same >= 0.999 * expected.Length, $"{name} fp16: {same} of {expected.Length} pixels keep their label");
    }

    private sealed record Result(float[] Expected, float[] Logits, long[] LabelMap, float[] Probabilities);

    private static Result Run(nn.Module<Tensor, Tensor> model, InferenceSession session, int batch, int bands, int h, int w, int seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn([batch, bands, h, w], generator: new Generator((ulong)seed));
        var expected = model.call(x).data<float>().ToArray();
        var input = new DenseTensor<float>(x.data<float>().ToArray(), [batch, bands, h, w]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(SegmentationOnnxExporter.InputName, input)]);
        float[] Floats(string n) => results.First(r => r.Name == n).AsEnumerable<float>().ToArray();
        var labels = results.First(r => r.Name == SegmentationOnnxExporter.LabelMapName).AsEnumerable<long>().ToArray();
        return new Result(expected, Floats(SegmentationOnnxExporter.LogitsName), labels, Floats(SegmentationOnnxExporter.ProbabilitiesName));
    }

    /// <summary>Arg-max over the class axis of [N, C, plane] logits.</summary>
    private static long[] ArgMax(float[] logits, int batch, int plane)
    {
        var labels = new long[batch * plane];
        for (var n = 0; n < batch; n++)
        {
            for (var i = 0; i < plane; i++)
            {
                var best = 0;
                for (var c = 1; c < Classes; c++)
                {
                    if (logits[(((n * Classes) + c) * plane) + i] > logits[(((n * Classes) + best) * plane) + i])
                    {
                        best = c;
                    }
                }

                labels[(n * plane) + i] = best;
            }
        }

        return labels;
    }
}
