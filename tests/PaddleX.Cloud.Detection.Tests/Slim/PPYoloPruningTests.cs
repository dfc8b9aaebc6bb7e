using System.Diagnostics;
using PaddleX.Cloud.Detection.Tests.Yolo;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Slim;

/// <summary>
/// The PP-YOLO family's channel groups on untrained networks (32 px): every convolution that can lose output channels
/// is in exactly one group (the head's outputs and the deformable offset convolutions only read); masking every group
/// at mixed ratios computes what the physically pruned network computes (through residual adds, SPP's and CoordConv's
/// and the PAN's concatenations, depthwise convolutions and DCNv2); the FLOPs prediction matches the pruned network,
/// which has at least 30 % fewer FLOPs, keeps its head's output shapes and trains (forward and backward).
/// </summary>
public sealed class PPYoloPruningTests(ITestOutputHelper output)
{
    private const int Side = 32;

    public static TheoryData<string, string, int> Pairs() => new()
    {
        { "PPYOLO", "ResNet50_vd_dcn", 60 },
        { "PPYOLO", "ResNet18_vd", 20 },
        { "PPYOLO", "MobileNetV3_large", 34 },
        { "PPYOLO", "MobileNetV3_small", 31 },
        { "PPYOLOTiny", "MobileNetV3", 40 },
        { "PPYOLOv2", "ResNet50_vd_dcn", 88 },
        { "PPYOLOv2", "ResNet101_vd_dcn", 122 },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Groups_cover_the_network_and_a_pruned_network_computes_what_masking_computes(string model, string backbone, int groupCount)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        torch.manual_seed(1);
        var detector = DetectionModels.Create(model, backbone, 3, new DetectorOptions { InputSize = [Side, Side], AnchorScale = Side / 608.0 * 4 });
        using var module = (nn.Module<Tensor, Tensor[]>)DetectionModels.AsModule(detector);
        YoloPruningTests.RandomiseNorms(module);
        module.eval();
        var groups = PrunableGroups.For(model, module);
        output.WriteLine(YoloPruningTests.Describe(groups));

        // Every convolution producing channels is pruned by exactly one group; only the head and offset convolutions are left.
        var convolutions = module.named_modules().Where(m => m.module is Conv2d or IPrunableConvolution).Select(m => m.name).ToList();
        var pruned = groups.SelectMany(g => g.Producers.Concat(g.Depthwise)).ToList();
        Assert.Equal(pruned.Count, pruned.Distinct().Count());
        Assert.Equal(
            convolutions.Where(c => !c.StartsWith("head.outputs.", StringComparison.Ordinal) && !c.EndsWith(".conv_offset", StringComparison.Ordinal)).Order(),
            pruned.Order());
        Assert.Equal(groupCount, groups.Count);

        using var x = torch.randn(1, 3, Side, Side);
        var (masked, after, before, predicted, complexity) = MaskedPruning.Run(module, groups, i => 0.3 + (0.1 * (i % 5)), x);
        output.WriteLine($"{model}-{backbone}: {groups.Count} groups, FLOPs {before.Flops:N0} -> {complexity.Flops:N0} " +
            $"({1 - ((double)complexity.Flops / before.Flops):P1} fewer), parameters {before.Parameters:N0} -> {complexity.Parameters:N0}");
        Assert.Equal(masked.Length, after.Length);
        for (int i = 0; i < masked.Length; i++)
        {
            Assert.Equal(masked[i].shape, after[i].shape);
            var difference = (masked[i] - after[i]).abs().max().item<float>();
            var scale = masked[i].abs().max().item<float>();
            Assert.True(difference <= (1e-4 * scale) + 1e-4, $"level {i}: max difference {difference} at magnitude {scale}");
        }

        Assert.Equal(predicted, complexity);
        Assert.True(complexity.Flops <= before.Flops * 0.7, $"FLOPs {complexity.Flops} of {before.Flops}");

        // The smaller network trains: every loss term is finite and every remaining parameter gets a gradient.
        module.train();
        var (images, targets) = DrawnBoxes.Batch(seed: 3, count: 2, size: Side);
        var total = detector.Losses(images, targets).Values.Aggregate((a, b) => a + b);
        total.backward();
        Assert.True(double.IsFinite(total.item<float>()), $"loss {total.item<float>()}");
        Assert.All(module.named_parameters().Where(p => p.parameter.requires_grad), p => Assert.True(p.parameter.grad is not null, $"{p.name} has no gradient"));
        output.WriteLine($"{(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s CPU");
    }
}
