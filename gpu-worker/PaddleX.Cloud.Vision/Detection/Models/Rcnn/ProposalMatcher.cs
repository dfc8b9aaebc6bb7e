using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// Assigns each anchor or proposal to its best ground-truth box: IoU ≥ <c>high</c> → that box, IoU &lt; <c>low</c> →
/// <see cref="Background"/>, in between → <see cref="Ignored"/>. With <c>allowLowQuality</c> (the RPN) every
/// ground-truth box also keeps the predictions that overlap it most, even below <c>high</c>.
/// </summary>
internal sealed class ProposalMatcher(double high, double low, bool allowLowQuality)
{
    public const long Background = -1;
    public const long Ignored = -2;

    /// <summary>Matched ground-truth index per prediction from the IoU matrix [G, P].</summary>
    public Tensor Match(Tensor iou)
    {
        using var scope = NewDisposeScope();
        var (best, matches) = iou.max(0);
        var original = allowLowQuality ? matches.clone() : null;
        matches[best < low] = Background;
        matches[(best >= low) & (best < high)] = Ignored;
        if (original is not null)
        {
            // Every ground-truth box keeps the predictions tied for its highest overlap.
            var highest = iou.max(1).values;
            var pairs = (iou == highest.unsqueeze(1)).nonzero();
            var predictions = pairs[.., 1];
            matches[predictions] = original[predictions];
        }

        return matches.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Picks at most <c>batchPerImage</c> labelled samples, at most <c>positiveFraction</c> of them foreground, at
/// random: balances the loss of the RPN (256, 0.5) and the box head (512, 0.25).
/// </summary>
internal sealed class BalancedSampler(int batchPerImage, double positiveFraction)
{
    /// <summary>(positive indices, negative indices) for labels where &gt; 0 is foreground, 0 background, &lt; 0 ignored.</summary>
    public (Tensor Positive, Tensor Negative) Sample(Tensor labels)
    {
        using var scope = NewDisposeScope();
        var positive = (labels >= 1).nonzero().squeeze(1);
        var negative = (labels == 0).nonzero().squeeze(1);
        var numPos = Math.Min((long)(batchPerImage * positiveFraction), positive.shape[0]);
        var numNeg = Math.Min(batchPerImage - numPos, negative.shape[0]);
        var pos = positive[randperm(positive.shape[0], device: labels.device)[..(int)numPos]];
        var neg = negative[randperm(negative.shape[0], device: labels.device)[..(int)numNeg]];
        return (pos.MoveToOuterDisposeScope(), neg.MoveToOuterDisposeScope());
    }
}
