using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Models.Segmentation;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>Channel groups, masking, physical pruning and FLOPs counting on untrained networks (fast).</summary>
public class PruningTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("ResNet18", 12)]
    [InlineData("ResNet50", 37)]
    [InlineData("MobileNetV2", 25)]
    [InlineData("UNet", 18)]
    public void Masking_equals_removal_and_the_counter_predicts_the_pruned_network(string name, int groupCount)
    {
        torch.manual_seed(1);
        using var model = name == "UNet" ? SegmentationModels.Create(name, null, 3, 3) : ClassificationModels.Create(name, 4);
        RandomiseNorms(model);
        model.eval();
        var groups = PrunableGroups.For(name, model);
        output.WriteLine(string.Join("\n", groups.Select(g => $"{g.Name}: producers {string.Join(' ', g.Producers)}; norms {string.Join(' ', g.Norms)}; depthwise {string.Join(' ', g.Depthwise)}; consumers {string.Join(' ', g.Consumers.Select(c => c.Module))}")));
        Assert.Equal(groupCount, groups.Count);
        var pruner = new ChannelPruner(model, groups);
        using var x = torch.randn(2, 3, 32, 32);
        var ratios = groups.Select((g, i) => (Group: g, Ratio: 0.1 * (1 + (i % 8)))).ToList();

        // Masking every group at once gives what the physically pruned network computes.
        var masks = ratios.Select(r => pruner.Mask(r.Group, r.Ratio)).ToList();
        var keep = ratios.ToDictionary(r => r.Group.Name, r => pruner.Strongest(r.Group, pruner.Channels(r.Group) - ChannelPruner.Removed(pruner.Channels(r.Group), r.Ratio)));
        using var masked = no_grad().Let(_ => model.call(x));
        masks.Reverse();
        masks.ForEach(m => m.Dispose());

        var counter = new FlopsCounter(model, 3, 32, 32);
        var predicted = counter.Predict(groups, keep.ToDictionary(k => k.Key, k => k.Value.Length), pruner.Channels);
        long parametersBefore = model.parameters().Sum(p => p.numel());
        Assert.Equal(parametersBefore, counter.Current.Parameters);
        pruner.Shrink(keep);
        using var pruned = no_grad().Let(_ => model.call(x));
        var after = new FlopsCounter(model, 3, 32, 32).Current;
        output.WriteLine($"{name}: FLOPs {counter.Current.Flops:N0} -> {after.Flops:N0}, parameters {parametersBefore:N0} -> {after.Parameters:N0}");

        Assert.True(masked.allclose(pruned, rtol: 1e-4, atol: 1e-5), $"max difference {(masked - pruned).abs().max().item<float>()}");
        Assert.Equal(predicted, after);
        Assert.Equal(model.parameters().Sum(p => p.numel()), after.Parameters);
        Assert.True(after.Flops < counter.Current.Flops * 0.8);
    }

    [Fact]
    public void A_pruned_checkpoint_reloads_and_exports_the_smaller_network()
    {
        torch.manual_seed(2);
        var dir = TempDir.Create("pdx-pruned-ckpt-");
        try
        {
            using var model = ClassificationModels.Create("ResNet18", 4);
            RandomiseNorms(model);
            var groups = PrunableGroups.For("ResNet18", model);
            // Invented sensitivities: later groups cost more, so the planner has to choose.
            var sensitivities = new Sensitivities
            {
                Model = "ResNet18",
                Metric = "acc1",
                Base = 1,
                Ratios = [.. Sensitivities.DefaultRatios],
                Groups = groups.Select((g, i) => (g, i)).ToDictionary(x => x.g.Name, x => new GroupSensitivity
                {
                    Channels = 1,
                    Loss = Sensitivities.DefaultRatios.ToDictionary(Sensitivities.Key, r => r * r * (1 + x.i)),
                }),
                Complete = true,
            };
            var pruning = PrunedNetwork.Prune(model, "ResNet18", null, sensitivities, 0.3, null, 3, 32, 32, output.WriteLine);
            Assert.True(pruning.Flops <= pruning.BaseFlops * 0.7, $"{pruning.Flops} of {pruning.BaseFlops}");
            model.eval();
            using var x = torch.randn(2, 3, 32, 32);
            using var expected = no_grad().Let(_ => model.call(x));
            using var optimizer = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);
            var state = new Training.CheckpointState { Model = "ResNet18", Labels = ["a", "b", "c", "d"], ImageShape = [32, 32], ImageMean = [0.5, 0.5, 0.5], ImageStd = [0.5, 0.5, 0.5], Pruning = pruning };
            Training.Checkpoints.Save(dir, model, optimizer, state);

            using var reloaded = ClassificationModels.Create("ResNet18", 4);
            using var optimizer2 = torch.optim.SGD(reloaded.parameters(), 0.01, momentum: 0.9);
            Training.Checkpoints.Load(dir, reloaded);
            reloaded.eval();
            using var actual = no_grad().Let(_ => reloaded.call(x));
            Assert.True(expected.allclose(actual, rtol: 1e-5, atol: 1e-6));

            var info = Export.ExportFolder.Write(dir, Path.Combine(dir, "export"), Export.OnnxWeights.Float32);
            Assert.True(info.Pruned);
            Assert.Equal(pruning.Flops, info.Flops);
            Assert.Equal(pruning.Parameters, info.Parameters);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(144, 0.3, 104)] // 101 kept → the nearest multiple of 8
    [InlineData(16, 0.3, 8)]
    [InlineData(16, 0.05, 16)]
    [InlineData(8, 0.9, 8)] // never fewer than 8
    [InlineData(20, 0.3, 14)] // not a multiple of 8 itself: exact
    [InlineData(64, 0, 64)]
    public void Kept_channel_counts_are_multiples_of_8(int channels, double ratio, int kept) =>
        Assert.Equal(kept, ChannelPruner.Kept(channels, ratio));

    [Theory]
    [InlineData("MobileNetV2", 0.3)]
    [InlineData("ResNet18", 0.3)]
    [InlineData("MobileNetV2", 0.5)]
    public void The_plan_keeps_multiples_of_8_and_still_removes_the_requested_flops(string name, double target)
    {
        torch.manual_seed(1);
        using var model = ClassificationModels.Create(name, 4);
        model.eval();
        var pruner = new ChannelPruner(model, PrunableGroups.For(name, model));
        var counter = new FlopsCounter(model, 3, 64, 64);
        // Later groups lose more at every ratio, so the tolerated loss gives each group a different ratio.
        var sensitivities = new Sensitivities
        {
            Model = name,
            Metric = "acc1",
            Ratios = Sensitivities.DefaultRatios.ToArray(),
            Complete = true,
            Groups = pruner.Groups.Select((g, i) => (g, i)).ToDictionary(x => x.g.Name, x => new GroupSensitivity
            {
                Channels = pruner.Channels(x.g),
                Loss = Sensitivities.DefaultRatios.ToDictionary(Sensitivities.Key, r => r * r * (1 + (x.i % 5))),
            }),
        };

        var plan = PrunePlanner.Choose(pruner, counter, sensitivities, target, null);

        output.WriteLine(string.Join(", ", plan.Channels.Select(c => $"{c.Key}={c.Value}")));
        Assert.All(plan.Channels, c => Assert.Equal(0, c.Value % ChannelPruner.ChannelMultiple));
        Assert.Contains(plan.Channels, c => c.Value < pruner.Channels(pruner.Groups.First(g => g.Name == c.Key)));
        Assert.True(1 - ((double)plan.After.Flops / plan.Before.Flops) >= target, $"{plan.After.Flops} of {plan.Before.Flops}");
        pruner.Shrink(plan.Channels.ToDictionary(c => c.Key, c => pruner.Strongest(pruner.Groups.First(g => g.Name == c.Key), c.Value)));
        Assert.Equal(plan.After, new FlopsCounter(model, 3, 64, 64).Current);
    }

    /// <summary>Fresh BatchNorms are identities; give them statistics so masking and removal are really compared.</summary>
    private static void RandomiseNorms(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var (_, m) in model.named_modules())
        {
            if (m is TorchSharp.Modules.BatchNorm2d bn)
            {
                bn.weight!.uniform_(0.5, 1.5);
                bn.bias!.uniform_(-0.2, 0.2);
                bn.running_mean!.uniform_(-0.1, 0.1);
                bn.running_var!.uniform_(0.5, 1.5);
            }
        }
    }
}

internal static class DisposableExtensions
{
    public static TResult Let<T, TResult>(this T value, Func<T, TResult> f)
        where T : IDisposable
    {
        using (value)
        {
            return f(value);
        }
    }
}
