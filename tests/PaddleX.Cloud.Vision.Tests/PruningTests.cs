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
