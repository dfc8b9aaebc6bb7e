namespace PaddleX.Cloud.Vision.Slim;

/// <summary>
/// Chooses a pruning ratio per group from the sensitivities: one tolerated metric loss for every group, each
/// group pruned as far as its curve stays within it. With a FLOPs target the tolerated loss is searched (bisection)
/// for the smallest one that removes at least that share of FLOPs, then every ratio is capped at the smallest cap
/// that still removes it — where many groups lose nothing at any ratio (a robust model, a small validation set) the
/// smallest tolerated loss alone would remove far more than asked; with a tolerated loss (<c>eval_metric_loss</c>)
/// it is used as is. Kept channel counts are rounded to multiples of 8 (<see cref="ChannelPruner.Kept"/>) before
/// FLOPs are predicted, so the search accounts for the rounding.
/// </summary>
public static class PrunePlanner
{
    public sealed record Plan(Dictionary<string, double> Ratios, Dictionary<string, int> Channels, Complexity Before, Complexity After, double Loss);

    /// <param name="prunedFlops">share of FLOPs to remove, in (0, 1); null to use <paramref name="metricLoss"/>.</param>
    public static Plan Choose(ChannelPruner pruner, FlopsCounter counter, Sensitivities sensitivities, double? prunedFlops, double? metricLoss)
    {
        var groups = pruner.Groups.Where(g => sensitivities.Groups.ContainsKey(g.Name)).ToList();
        if (groups.Count == 0)
        {
            throw new InvalidDataException("the sensitivities name none of this network's channel groups");
        }

        (Dictionary<string, double> Ratios, Dictionary<string, int> Channels, Complexity After) At(double loss, double cap = 1)
        {
            var channels = groups.ToDictionary(g => g.Name, g => ChannelPruner.Kept(pruner.Channels(g), Math.Min(cap, sensitivities.RatioWithin(g.Name, loss))), StringComparer.Ordinal);
            // The ratios really applied, after the rounding of kept channels.
            var ratios = groups.ToDictionary(g => g.Name, g => 1 - ((double)channels[g.Name] / pruner.Channels(g)), StringComparer.Ordinal);
            return (ratios, channels, counter.Predict(groups, channels, pruner.Channels));
        }

        double chosen;
        if (prunedFlops is not { } target)
        {
            chosen = metricLoss ?? throw new ArgumentException("pruned_flops or eval_metric_loss is needed");
        }
        else
        {
            double Reduction(double loss) => 1 - ((double)At(loss).After.Flops / counter.Current.Flops);
            var hi = groups.Max(g => sensitivities.LossAt(g.Name, sensitivities.Ratios.Max())) + 1e-9;
            var lo = 0.0;
            if (Reduction(lo) >= target)
            {
                hi = lo;
            }

            for (var i = 0; i < 50 && hi - lo > 1e-7; i++)
            {
                var mid = (lo + hi) / 2;
                (Reduction(mid) >= target ? ref hi : ref lo) = mid;
            }

            chosen = hi;
            double Capped(double cap) => 1 - ((double)At(chosen, cap).After.Flops / counter.Current.Flops);
            double capLo = 0, capHi = 1;
            for (var i = 0; i < 40 && capHi - capLo > 1e-4; i++)
            {
                var mid = (capLo + capHi) / 2;
                (Capped(mid) >= target ? ref capHi : ref capLo) = mid;
            }

            var (cr, cc, cafter) = At(chosen, capHi);
            return new Plan(cr, cc, counter.Current, cafter, chosen);
        }

        var (r, c, after) = At(chosen);
        return new Plan(r, c, counter.Current, after, chosen);
    }
}
