using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// Assigns each prediction (anchor or proposal) the ground-truth box it overlaps most (torchvision
/// <c>det_utils.Matcher</c>): quality ≥ <paramref name="highThreshold"/> keeps the match, below
/// <paramref name="lowThreshold"/> gives <see cref="BelowLowThreshold"/>, in between <see cref="BetweenThresholds"/>.
/// With <paramref name="allowLowQualityMatches"/> every ground-truth box also keeps the predictions it overlaps most,
/// even below the thresholds (the RPN rule, so no object is left without an anchor).
/// </summary>
/// <remarks>Unlike torchvision, which raises, an image without ground truth matches every prediction to
/// <see cref="BelowLowThreshold"/> (all background): PaddleX datasets may hold negative images.</remarks>
public sealed class Matcher(double highThreshold, double lowThreshold, bool allowLowQualityMatches)
{
    public const long BelowLowThreshold = -1;
    public const long BetweenThresholds = -2;

    /// <summary>The two codes as Scalars held for the process (<see cref="Runtime.HeldScalars"/>): they meet int64
    /// tensors, where a Scalar freed under the call fails or fills the wrong value.</summary>
    internal static readonly Scalar Below = BelowLowThreshold, Between = BetweenThresholds;

    /// <summary>[N] int64: the matched ground-truth index of each prediction, or −1/−2, from the quality matrix
    /// [M ground truth, N predictions] (IoU).</summary>
    public Tensor Match(Tensor quality)
    {
        if (quality.dim() != 2)
        {
            throw new ArgumentException($"quality must be [M, N], got [{string.Join(", ", quality.shape)}]", nameof(quality));
        }

        if (quality.shape[0] == 0)
        {
            return full(quality.shape[1], BelowLowThreshold, ScalarType.Int64, quality.device);
        }

        if (quality.shape[1] == 0)
        {
            return empty(0, ScalarType.Int64, quality.device);
        }

        using var scope = NewDisposeScope();
        var (values, matches) = quality.max(0);
        var all = allowLowQualityMatches ? matches.clone() : null;
        using Scalar low = lowThreshold, high = highThreshold;
        var below = values.lt(low);
        var between = values.ge(low).logical_and_(values.lt(high));
        matches.masked_fill_(below, Below);
        matches.masked_fill_(between, Between);
        if (all is not null)
        {
            // Predictions tied for the best quality of some ground-truth box keep their original match.
            var best = quality.max(1).values.unsqueeze(1);
            var predictions = quality.eq(best).any(0);
            matches = where(predictions, all, matches);
        }

        return matches.MoveToOuterDisposeScope();
    }
}
