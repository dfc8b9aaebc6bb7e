using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Slim;

/// <summary>YOLOv3's channel groups on untrained networks: every group masked at mixed ratios computes what the
/// physically pruned network computes (a missing coupling shows as a shape error or a difference), the FLOPs
/// prediction matches the pruned network, and the head's outputs never lose a channel.</summary>
public sealed class YoloPruningTests(ITestOutputHelper output)
{
    private const int Side = 32;

    [Theory]
    [InlineData("MobileNetV1", 34)]
    [InlineData("MobileNetV3", 48)]
    [InlineData("DarkNet53", 49)]
    [InlineData("ResNet34", 40)]
    public void Masking_equals_removal_and_the_counter_predicts_the_pruned_detector(string backbone, int groupCount)
    {
        torch.manual_seed(1);
        using var module = (nn.Module<Tensor, Tensor[]>)DetectionModels.AsModule(DetectionModels.Create("YOLOv3", backbone, 3, new DetectorOptions { InputSize = [Side, Side] }));
        RandomiseNorms(module);
        module.eval();
        var groups = PrunableGroups.For("YOLOv3", module);
        output.WriteLine(Describe(groups));
        Assert.Equal(groupCount, groups.Count);
        Assert.DoesNotContain(groups, g => g.Producers.Any(p => p.StartsWith("head.", StringComparison.Ordinal)));
        var heads = module.named_modules().Where(m => m.name.StartsWith("head.outputs.", StringComparison.Ordinal) && m.module is Conv2d)
            .ToDictionary(m => m.name, m => ((Conv2d)m.module).out_channels);

        using var x = torch.randn(1, 3, Side, Side);
        var (masked, pruned, before, predicted, after) = MaskedPruning.Run(module, groups, i => 0.1 * (1 + (i % 7)), x);
        output.WriteLine($"{backbone}: FLOPs {before.Flops:N0} -> {after.Flops:N0}, parameters {before.Parameters:N0} -> {after.Parameters:N0}");
        Assert.Equal(masked.Length, pruned.Length);
        for (int i = 0; i < masked.Length; i++)
        {
            Assert.Equal(masked[i].shape, pruned[i].shape);
            Assert.True(masked[i].allclose(pruned[i], rtol: 1e-3, atol: 1e-4), $"level {i}: max difference {(masked[i] - pruned[i]).abs().max().item<float>()}");
        }

        Assert.Equal(predicted, after);
        Assert.True(after.Flops < before.Flops * 0.8);
        foreach (var (name, channels) in heads)
        {
            Assert.Equal(channels, ((Conv2d)module.named_modules().Single(m => m.name == name).module).out_channels);
        }
    }

    /// <summary>A detector pruned by 30 % of its FLOPs and saved with its pruning record reloads through the detection
    /// predictor with the same head outputs, and exports as the smaller network with its NMS; for PP-YOLO with DCNv2
    /// the deformable weights and their offset convolutions are rebuilt cut too.</summary>
    [Theory]
    [InlineData("YOLOv3", "MobileNetV1")]
    [InlineData("PPYOLO", "ResNet50_vd_dcn")]
    public void A_pruned_YOLO_family_checkpoint_reloads_and_exports_the_smaller_network_with_its_nms(string model, string backbone)
    {
        torch.manual_seed(2);
        string dir = TempFolders.Create("pdx-yolo-pruned-ckpt-");
        var detector = DetectionModels.Create(model, backbone, 3, new DetectorOptions { InputSize = [64, 64] });
        using var module = (nn.Module<Tensor, Tensor[]>)DetectionModels.AsModule(detector);
        RandomiseNorms(module);
        var groups = PrunableGroups.For(model, module);
        // Invented sensitivities: later groups cost more, so the planner has to choose.
        var sensitivities = new Sensitivities
        {
            Model = model,
            Metric = "bbox_map",
            Base = 1,
            Ratios = [.. Sensitivities.DefaultRatios],
            Groups = groups.Select((g, i) => (g, i)).ToDictionary(x => x.g.Name, x => new GroupSensitivity
            {
                Channels = 1,
                Loss = Sensitivities.DefaultRatios.ToDictionary(Sensitivities.Key, r => r * r * (1 + (x.i % 5))),
            }),
            Complete = true,
        };
        var pruning = PrunedNetwork.Prune(module, model, null, sensitivities, 0.3, null, 3, 64, 64, output.WriteLine);
        Assert.True(pruning.Flops <= pruning.BaseFlops * 0.7, $"{pruning.Flops} of {pruning.BaseFlops}");
        module.eval();
        using var x = torch.randn(1, 3, 64, 64);
        Tensor[] expected;
        using (no_grad())
        {
            expected = module.call(x);
        }

        using var optimizer = torch.optim.SGD(module.parameters(), 0.01, momentum: 0.9);
        var state = new Vision.Training.CheckpointState
        {
            Task = "detection", Model = model, Backbone = backbone, Labels = ["a", "b", "c"], ImageShape = [64, 64],
            ImageMean = [0.5, 0.5, 0.5], ImageStd = [0.5, 0.5, 0.5], Pruning = pruning,
        };
        Vision.Training.Checkpoints.Save(dir, module, optimizer, state);

        using (var predictor = new Vision.Detection.Inference.DetectionPredictor(dir))
        {
            var reloaded = (nn.Module<Tensor, Tensor[]>)DetectionModels.AsModule(predictor.Detector);
            reloaded.eval();
            using (no_grad())
            {
                var actual = reloaded.call(x);
                Assert.All(expected.Zip(actual), p => Assert.True(p.First.allclose(p.Second, rtol: 1e-5, atol: 1e-5)));
            }
        }

        var info = Vision.Export.ExportFolder.Write(dir, Path.Combine(dir, "export"), Vision.Export.OnnxWeights.Float32);
        Assert.True(info.Pruned);
        Assert.Equal((pruning.Flops, pruning.Parameters), (info.Flops, info.Parameters));
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(Path.Combine(dir, "export", Vision.Export.ExportFolder.OnnxFile));
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(x.data<float>().ToArray(), [1, 3, 64, 64]);
        using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("image", input)]);
        Assert.Equal(["boxes", "scores", "classes"], results.Select(r => r.Name).ToArray());
    }

    [Theory]
    [InlineData("FasterRCNN")]
    public void Other_detectors_say_they_cannot_be_pruned(string model)
    {
        using var module = DetectionModels.AsModule(DetectionModels.Create(model, null, 3, new DetectorOptions { InputSize = [Side, Side] }));
        var e = Assert.Throws<NotSupportedException>(() => PrunableGroups.For(model, module));
        Assert.Contains(model, e.Message);
        Assert.False(PrunableGroups.Supports(model, module));
    }

    /// <summary>One line per group for the test output: its producers, depthwise followers and consumers at their offsets.</summary>
    internal static string Describe(IEnumerable<ChannelGroup> groups) =>
        string.Join("\n", groups.Select(g => $"{g.Name}: producers {string.Join(' ', g.Producers)}; depthwise {string.Join(' ', g.Depthwise)}; consumers {string.Join(' ', g.Consumers.Select(c => $"{c.Module}@{c.Offset}"))}"));

    /// <summary>Fresh BatchNorms are identities; give them statistics so masking and removal are really compared.</summary>
    internal static void RandomiseNorms(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var (_, m) in model.named_modules())
        {
            if (m is BatchNorm2d bn)
            {
                bn.weight!.uniform_(0.5, 1.5);
                bn.bias!.uniform_(-0.2, 0.2);
                bn.running_mean!.uniform_(-0.1, 0.1);
                bn.running_var!.uniform_(0.5, 1.5);
            }
        }
    }
}
