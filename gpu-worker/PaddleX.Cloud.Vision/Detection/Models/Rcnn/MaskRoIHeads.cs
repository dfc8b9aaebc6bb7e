using PaddleX.Cloud.Vision.Detection.Ops;
using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// The RoI heads of Mask R-CNN: Faster R-CNN's box stage plus a mask branch on the same pyramid. The branch pools
/// 14×14 RoIs, runs four 3×3 convolutions with ReLU (<c>mask_head</c>), a 2× transposed convolution with ReLU and a
/// 1×1 convolution to one 28×28 logit map per class, background first (<c>mask_predictor</c>) — TorchVision's
/// <c>maskrcnn_resnet50_fpn</c> layout and names. Training uses the positive sampled RoIs: the target of each is its
/// matched ground-truth mask cut out along the RoI (RoIAlign at 28×28, unaligned, adaptive sampling) and the loss
/// (<c>loss_mask</c>) is the binary cross-entropy on the channel of the ground-truth class. Detection runs the branch
/// on the final boxes, takes the sigmoid of the detected class's channel and pastes it into the input
/// (<see cref="MaskPaste"/>).
/// </summary>
internal sealed class MaskRoIHeads : RoIHeads
{
    /// <summary>Side of the pooled RoI; the predicted masks have twice this side.</summary>
    public const int PooledSize = 14;

    private const int Convolutions = 4;

    private readonly Sequential mask_head;
    private readonly Sequential mask_predictor;
    private readonly RoiAligner maskAligner;

    public MaskRoIHeads(Module<Tensor, Tensor> boxHead, long headFeatures, int numClasses, RcnnSettings settings)
        : base(boxHead, headFeatures, numClasses, settings)
    {
        var width = settings.MaskHeadChannels;
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        var channels = settings.FpnChannels;
        for (var i = 0; i < Convolutions; i++)
        {
            layers.Add((i.ToString(System.Globalization.CultureInfo.InvariantCulture), Sequential(Conv2d(channels, width, 3, padding: 1), ReLU())));
            channels = width;
        }

        mask_head = Sequential(layers);
        mask_predictor = Sequential(
            ("conv5_mask", ConvTranspose2d(width, width, 2, stride: 2)),
            ("relu", ReLU()),
            ("mask_fcn_logits", Conv2d(width, numClasses + 1, 1)));

        // The base constructor registered its own fields before these existed.
        register_module(nameof(mask_head), mask_head);
        register_module(nameof(mask_predictor), mask_predictor);
        foreach (var conv in mask_head.modules().OfType<Conv2d>())
        {
            init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
            init.zeros_(conv.bias);
        }

        foreach (var (name, parameter) in mask_predictor.named_parameters())
        {
            if (name.EndsWith("weight", StringComparison.Ordinal))
            {
                init.kaiming_normal_(parameter, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
            }
        }

        maskAligner = new RoiAligner(PooledSize, settings.RoiSamplingRatio, settings.RoiAligned);
    }

    /// <summary>Mask logits [R, K + 1, 28, 28] of <paramref name="boxes"/> (per image, input pixels).</summary>
    public Tensor MaskLogits(RoiFeatures features, IReadOnlyList<Tensor> boxes) =>
        mask_predictor.call(mask_head.call(maskAligner.Pool(features.Levels, features.Strides, boxes)));

    /// <summary>The graph of <see cref="Complete"/> before the paste: the sigmoid of each detection's class channel,
    /// [K, 1, 28, 28] (pasting into the picture is left to the reader of the graph).</summary>
    public override string? EmitMasks(OnnxGraph graph, IReadOnlyList<string> levels, IReadOnlyList<long> strides, string boxes, string classes)
    {
        var logits = graph.Module(mask_predictor, graph.Module(mask_head, maskAligner.EmitPool(graph, levels, strides, boxes)));
        var size = 2L * PooledSize;
        var channel = graph.Node("Reshape", [graph.Add(classes, graph.Longs(1)), graph.Longs(-1, 1, 1, 1)]);
        channel = graph.Node("Expand", [channel, graph.Node("Concat", [graph.Node("Shape", [classes]), graph.Longs(1, size, size)], OnnxGraph.Attr("axis", 0L))]);
        return graph.Sigmoid(graph.Node("GatherElements", [logits, channel], OnnxGraph.Attr("axis", 1L)));
    }

    protected override void AddLosses(Dictionary<string, Tensor> losses, RoiFeatures features, SampledRois rois, IReadOnlyList<DetectionTarget> targets)
    {
        var boxes = new List<Tensor>();
        var classes = new List<Tensor>();
        var maskTargets = new List<Tensor>();
        for (var i = 0; i < targets.Count; i++)
        {
            var positive = (rois.Classes[i] > 0).nonzero().squeeze(1);
            boxes.Add(rois.Boxes[i][positive]);
            classes.Add(rois.Classes[i][positive]);
            maskTargets.Add(CutMasks(targets[i], rois.Boxes[i][positive], rois.MatchedTarget[i][positive]));
        }

        var labels = cat(classes, 0);
        if (labels.shape[0] == 0)
        {
            // No foreground RoI in the batch: a zero that still reaches the branch's parameters.
            losses["loss_mask"] = mask_predictor.parameters().Select(p => p.sum() * 0).Aggregate((a, b) => a + b);
            return;
        }

        var logits = MaskLogits(features, boxes);
        var picked = logits[arange(labels.shape[0], dtype: ScalarType.Int64, device: logits.device), labels];
        losses["loss_mask"] = functional.binary_cross_entropy_with_logits(picked, cat(maskTargets, 0));
    }

    protected override IReadOnlyList<Detections> Complete(RoiFeatures features, IReadOnlyList<Detections> detections, long height, long width)
    {
        if (detections.All(d => d.Boxes.shape[0] == 0))
        {
            return detections.Select(d => d with { Masks = zeros(0, height, width, device: d.Boxes.device) }).ToList();
        }

        using var scope = NewDisposeScope();
        var logits = MaskLogits(features, detections.Select(d => d.Boxes).ToList());
        var labels = cat(detections.Select(d => d.Labels + 1).ToList(), 0);
        var probabilities = logits[arange(labels.shape[0], dtype: ScalarType.Int64, device: logits.device), labels].sigmoid();
        var result = new List<Detections>(detections.Count);
        long start = 0;
        foreach (var d in detections)
        {
            var count = d.Boxes.shape[0];
            var masks = MaskPaste.Paste(probabilities.narrow(0, start, count), d.Boxes, height, width);
            result.Add(d with { Masks = masks.MoveToOuterDisposeScope() });
            start += count;
        }

        return result;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            mask_head.Dispose();
            mask_predictor.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The matched ground-truth mask of each RoI, cut out along the RoI at the predicted size (TorchVision's
    /// <c>project_masks_on_boxes</c>): [P, 28, 28] float32 in [0, 1].</summary>
    private static Tensor CutMasks(DetectionTarget target, Tensor boxes, Tensor matched)
    {
        var size = 2 * PooledSize;
        if (boxes.shape[0] == 0)
        {
            return zeros(0, size, size, device: boxes.device);
        }

        var masks = target.Masks ?? throw new InvalidOperationException("Mask R-CNN training needs instance masks in every target");
        using var noGrad = no_grad();
        var rois = cat([matched.to(ScalarType.Float32).unsqueeze(1), boxes.to(ScalarType.Float32)], 1);
        return RoiAlign.Apply(masks.to(ScalarType.Float32).unsqueeze(1), rois, size, size, 1.0, samplingRatio: 0, aligned: false).squeeze(1);
    }
}
