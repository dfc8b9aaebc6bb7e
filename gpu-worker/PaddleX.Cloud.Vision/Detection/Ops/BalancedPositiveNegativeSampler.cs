using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// Picks the training samples of one image (torchvision <c>det_utils.BalancedPositiveNegativeSampler</c>): up to
/// batch size × positive fraction positives (label ≥ 1), the rest of the batch from negatives (label 0), both drawn
/// uniformly without replacement; label −1 is never picked.
/// </summary>
/// <param name="batchSizePerImage">Samples per image (256 for an RPN, 512 for a box head).</param>
/// <param name="positiveFraction">Largest share of positives (0.5 for an RPN, 0.25 for a box head).</param>
/// <param name="generator">Random source, seeded by the trainer for reproducible runs; null = libtorch's default.</param>
public sealed class BalancedPositiveNegativeSampler(int batchSizePerImage, double positiveFraction, Generator? generator = null)
{
    /// <summary>Bool masks [N] of the positives and negatives picked among <paramref name="labels"/> [N].</summary>
    public (Tensor Positive, Tensor Negative) Sample(Tensor labels)
    {
        using var scope = NewDisposeScope();
        var positive = (labels >= 1).nonzero().view(-1);
        var negative = (labels == 0).nonzero().view(-1);
        long numPos = Math.Min(positive.numel(), (long)(batchSizePerImage * positiveFraction));
        long numNeg = Math.Min(negative.numel(), batchSizePerImage - numPos);
        var pos = Pick(labels, positive, numPos);
        var neg = Pick(labels, negative, numNeg);
        return (pos.MoveToOuterDisposeScope(), neg.MoveToOuterDisposeScope());
    }

    private Tensor Pick(Tensor labels, Tensor candidates, long count)
    {
        var mask = zeros(labels.shape, ScalarType.Bool, labels.device);
        if (count == 0)
        {
            return mask;
        }

        var order = randperm(candidates.numel(), generator: generator, device: CPU).narrow(0, 0, count).to(labels.device);
        return mask.index_fill_(0, candidates.index_select(0, order), true);
    }
}
