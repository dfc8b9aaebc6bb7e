using PaddleX.Cloud.Vision.Slim;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Slim;

/// <summary>
/// The check every detector's group declaration goes through: each group masked at its ratio, the network run,
/// the masks restored, then the same channels removed physically and the network run again. A missing coupling shows
/// as a shape error or a difference between the two runs.
/// </summary>
internal static class MaskedPruning
{
    /// <summary>The head outputs masked and pruned, the complexity before, the counter's prediction for the cut and
    /// the complexity counted after it.</summary>
    public sealed record Outcome(Tensor[] Masked, Tensor[] Pruned, Complexity Before, Complexity Predicted, Complexity After);

    /// <param name="ratio">the ratio of group <i>i</i>.</param>
    public static Outcome Run(nn.Module<Tensor, Tensor[]> module, IReadOnlyList<ChannelGroup> groups, Func<int, double> ratio, Tensor x)
    {
        long side = x.shape[2];
        var pruner = new ChannelPruner(module, groups);
        var ratios = groups.Select((g, i) => (Group: g, Ratio: ratio(i))).ToList();
        var masks = ratios.Select(r => pruner.Mask(r.Group, r.Ratio)).ToList();
        var keep = ratios.ToDictionary(r => r.Group.Name, r => pruner.Strongest(r.Group, pruner.Channels(r.Group) - ChannelPruner.Removed(pruner.Channels(r.Group), r.Ratio)));
        var masked = Forward(module, x);
        masks.Reverse();
        masks.ForEach(m => m.Dispose());
        var counter = new FlopsCounter(module, (int)x.shape[1], (int)side, (int)side);
        Assert.Equal(module.parameters().Sum(p => p.numel()), counter.Current.Parameters);
        var predicted = counter.Predict(groups, keep.ToDictionary(k => k.Key, k => k.Value.Length), pruner.Channels);
        pruner.Shrink(keep);
        var pruned = Forward(module, x);
        return new Outcome(masked, pruned, counter.Current, predicted, new FlopsCounter(module, (int)x.shape[1], (int)side, (int)side).Current);
    }

    private static Tensor[] Forward(nn.Module<Tensor, Tensor[]> module, Tensor x)
    {
        using var noGrad = no_grad();
        return module.call(x);
    }
}
