using System.Globalization;
using PaddleX.Cloud.Vision.Training;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Slim;

/// <summary>Pruning a trained network for retraining, and rebuilding a pruned network before its weights load.</summary>
public static class PrunedNetwork
{
    /// <summary>Prunes <paramref name="model"/> (the parent's trained weights already loaded) with the ratios
    /// the sensitivities give for the request; returns what the checkpoints record.</summary>
    public static PruningInfo Prune(nn.Module model, string modelName, PruningInfo? earlier, Sensitivities sensitivities,
        double? prunedFlops, double? metricLoss, int inChannels, int width, int height, Action<string> log)
    {
        var pruner = new ChannelPruner(model, PrunableGroups.For(modelName, model));
        if (earlier is not null && pruner.Groups.Any(g => g.Consumers.Any(c => c.Offset > 0)))
        {
            // Concatenation offsets are declared for the unpruned network.
            throw new NotSupportedException($"{modelName} joins channel groups by concatenation: prune the original model, not an already pruned one");
        }

        var counter = new FlopsCounter(model, inChannels, width, height);
        var plan = PrunePlanner.Choose(pruner, counter, sensitivities, prunedFlops, metricLoss);
        pruner.Shrink(plan.Channels.Where(c => c.Value < pruner.Channels(pruner.Groups.First(g => g.Name == c.Key)))
            .ToDictionary(c => c.Key, c => pruner.Strongest(pruner.Groups.First(g => g.Name == c.Key), c.Value), StringComparer.Ordinal));
        var after = new FlopsCounter(model, inChannels, width, height).Current;
        var basis = earlier is null ? plan.Before : new Complexity(earlier.BaseFlops, earlier.BaseParameters);
        log(string.Create(CultureInfo.InvariantCulture, $"Pruned {modelName} at {width}x{height} with a tolerated {sensitivities.Metric} loss of {plan.Loss:0.####}: " +
            $"FLOPs {plan.Before.Flops:N0} -> {after.Flops:N0} ({1 - ((double)after.Flops / plan.Before.Flops):P1} fewer), " +
            $"parameters {plan.Before.Parameters:N0} -> {after.Parameters:N0} ({1 - ((double)after.Parameters / plan.Before.Parameters):P1} fewer); " +
            $"ratios {string.Join(", ", plan.Ratios.Where(r => r.Value > 0).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key}={r.Value:0.##}")))}"));
        var channels = new Dictionary<string, int>(earlier?.Channels ?? [], StringComparer.Ordinal);
        foreach (var g in pruner.Groups)
        {
            channels[g.Name] = pruner.Channels(g);
        }

        return new PruningInfo
        {
            Channels = channels,
            Ratios = plan.Ratios,
            PrunedFlops = prunedFlops ?? 1 - ((double)after.Flops / plan.Before.Flops),
            BaseFlops = basis.Flops,
            BaseParameters = basis.Parameters,
            Flops = after.Flops,
            Parameters = after.Parameters,
        };
    }

    /// <summary>Gives a freshly built network the channel counts a checkpoint recorded (nothing when it is not
    /// pruned or already has them), so the checkpoint's weights load.</summary>
    public static void Rebuild(nn.Module model, CheckpointState state)
    {
        if (state.Pruning is { Channels.Count: > 0 } pruning)
        {
            new ChannelPruner(model, PrunableGroups.For(state.Model, model)).ShrinkTo(pruning.Channels);
        }
    }
}
