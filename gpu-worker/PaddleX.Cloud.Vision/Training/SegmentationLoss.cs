using PaddleX.Cloud.Vision.Data;
using PaddleX.Cloud.Vision.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>
/// Segmentation loss of logits [N, C, H, W] against labels [N, H, W]: cross-entropy, plus a soft Dice loss
/// (<c>loss_type[0]</c>) and a per-class binary cross-entropy on one-hot targets (<c>loss_type[1]</c>).
/// Pixels labelled 255 count in none of them.
/// </summary>
public sealed record SegmentationLoss(bool Dice, bool Bce)
{
    public static SegmentationLoss FromLossType(IReadOnlyList<bool> lossType) =>
        new(lossType.Count > 0 && lossType[0], lossType.Count > 1 && lossType[1]);

    public Tensor Compute(Tensor logits, Tensor labels)
    {
        using var scope = torch.NewDisposeScope();
        Tensor loss = F.cross_entropy(logits, labels, ignore_index: SegmentationDataset.IgnoreLabel);
        if (Dice || Bce)
        {
            long classes = logits.shape[1];
            Tensor valid = labels.ne(SegmentationDataset.IgnoreLabel);
            Tensor clean = labels.where(valid, torch.zeros_like(labels));
            Tensor mask = valid.unsqueeze(1).to_type(logits.dtype);
            Tensor onehot = F.one_hot(clean, classes).permute(0, 3, 1, 2).to_type(logits.dtype) * mask;
            if (Dice)
            {
                Tensor probs = logits.softmax(1) * mask;
                Tensor intersect = (probs * onehot).sum([0, 2, 3]);
                Tensor denominator = probs.sum([0, 2, 3]) + onehot.sum([0, 2, 3]);
                loss = loss + (1 - ((2 * intersect + 1) / (denominator + 1)).mean());
            }

            if (Bce)
            {
                Tensor perPixel = F.binary_cross_entropy_with_logits(logits, onehot, reduction: nn.Reduction.None) * mask;
                loss = loss + perPixel.sum() / (mask.sum() * classes).clamp_min(HeldScalars.One);
            }
        }

        return loss.MoveToOuterDisposeScope();
    }
}
