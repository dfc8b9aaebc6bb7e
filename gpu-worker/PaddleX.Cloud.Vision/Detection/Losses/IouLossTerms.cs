using PaddleX.Cloud.Vision.Detection.Ops;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Losses;

/// <summary>
/// PP-YOLO's IoU loss (PaddleDetection's <c>IouLoss</c> inside the YOLOv3 loss): on every assigned cell,
/// <c>weight · (1 − IoU²)</c> (or <c>1 − IoU</c> unsquared) between the decoded prediction and its ground truth,
/// scaled like the box terms (2 − area share, mixup weight). PaddleX uses weight 2.5, squared.
/// </summary>
public sealed class IouLoss(double weight = 2.5, bool squared = true) : IYoloLossTerm
{
    public string Name => "loss_iou";

    public Tensor Compute(YoloLossContext context)
    {
        using var scope = NewDisposeScope();
        var iou = BoxOps.PairedIou(context.PredBoxes, context.TargetBoxes);
        var loss = (squared ? 1 - iou.square() : 1 - iou).mul(weight).mul(context.PositiveWeight);
        return YoloLoss.PerImage(loss).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// PP-YOLO's IoU-aware loss: the head's extra IoU logit per anchor learns, by binary cross-entropy, the IoU its own
/// decoded box reaches with the ground truth (a target without gradient), on assigned cells weighted by mixup weight.
/// At inference that predicted IoU is blended into the score (<c>YoloOptions.IouAwareFactor</c>).
/// </summary>
public sealed class IouAwareLoss(double weight = 1.0) : IYoloLossTerm
{
    public string Name => "loss_iou_aware";

    public Tensor Compute(YoloLossContext context)
    {
        var logits = context.Pred.Iou ?? throw new InvalidOperationException("the IoU-aware loss needs an IoU-aware head");
        using var scope = NewDisposeScope();
        Tensor target;
        using (no_grad())
        {
            target = BoxOps.PairedIou(context.PredBoxes, context.TargetBoxes);
        }

        var bce = functional.binary_cross_entropy_with_logits(logits, target, reduction: Reduction.None);
        return YoloLoss.PerImage(bce.mul(weight).mul(context.Objectness)).MoveToOuterDisposeScope();
    }
}
