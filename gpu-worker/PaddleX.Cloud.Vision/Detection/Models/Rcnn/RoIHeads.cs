using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Ops;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>Feature maps handed to the RoI heads: finest first, with their strides in input pixels.</summary>
internal sealed record RoiFeatures(IReadOnlyList<Tensor> Levels, IReadOnlyList<long> Strides);

/// <summary>
/// RoIs sampled for a training step, per image: the boxes, their class (0 = background, c + 1 = class c) and the
/// index of the ground-truth box each matched (meaningful where the class is not background).
/// </summary>
internal sealed record SampledRois(IReadOnlyList<Tensor> Boxes, IReadOnlyList<Tensor> Classes, IReadOnlyList<Tensor> MatchedTarget);

/// <summary>
/// The second stage: pools each proposal (<see cref="RoiAligner"/>), runs <c>box_head</c> and <c>box_predictor</c>.
/// Training matches proposals (plus the ground-truth boxes) to the targets at IoU 0.5, samples 512 per image with a
/// quarter foreground, and returns the classification (cross-entropy) and box (smooth L1, β = 1/9, class-specific)
/// losses. Detection decodes per class, clips, drops background and low scores, runs NMS per class and keeps the best.
/// Mask R-CNN derives from this class: <see cref="AddLosses"/> and <see cref="Complete"/> are its hooks for the
/// extra head, fed with the same sampled RoIs and final detections.
/// </summary>
internal class RoIHeads : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> box_head;
    private readonly BoxPredictor box_predictor;
    private readonly RoiAligner aligner;
    private readonly BoxCoder coder = new([10, 10, 5, 5]);
    private readonly Matcher matcher;
    private readonly BalancedPositiveNegativeSampler sampler;

    public RoIHeads(Module<Tensor, Tensor> boxHead, long headFeatures, int numClasses, RcnnSettings settings)
        : base(nameof(RoIHeads))
    {
        box_head = boxHead;
        box_predictor = new BoxPredictor(headFeatures, numClasses + 1);
        aligner = new RoiAligner(settings.RoiResolution, settings.RoiSamplingRatio, settings.RoiAligned);
        matcher = new Matcher(settings.BoxFgThreshold, settings.BoxBgThreshold, allowLowQualityMatches: false);
        sampler = new BalancedPositiveNegativeSampler(settings.BoxBatchPerImage, settings.BoxFgFraction);
        RegisterComponents();
    }

    /// <summary>The box losses (<c>loss_bbox_cls</c>, <c>loss_bbox_reg</c>) plus those of the extra heads.</summary>
    public Dictionary<string, Tensor> Losses(RoiFeatures features, IReadOnlyList<Tensor> proposals, IReadOnlyList<DetectionTarget> targets)
    {
        var rois = Sample(proposals, targets);
        var regressionTargets = new List<Tensor>();
        for (var i = 0; i < targets.Count; i++)
        {
            var gt = targets[i].Boxes.to(rois.Boxes[i].device);
            regressionTargets.Add(gt.shape[0] == 0
                ? zeros_like(rois.Boxes[i])
                : coder.Encode(gt[rois.MatchedTarget[i]], rois.Boxes[i]));
        }

        var (logits, deltas) = box_predictor.Predict(box_head.call(aligner.Pool(features.Levels, features.Strides, rois.Boxes)));
        var classes = cat(rois.Classes.ToList(), 0);
        var losses = new Dictionary<string, Tensor> { ["loss_bbox_cls"] = functional.cross_entropy(logits, classes) };
        var positive = (classes > 0).nonzero().squeeze(1);
        var picked = deltas.reshape(deltas.shape[0], -1, 4)[positive, classes[positive]];
        losses["loss_bbox_reg"] = functional.smooth_l1_loss(picked, cat(regressionTargets, 0)[positive], reduction: Reduction.Sum, beta: 1.0 / 9)
            / classes.shape[0];
        AddLosses(losses, features, rois, targets);
        return losses;
    }

    /// <summary>Final detections per image (labels 0-based, boxes in input pixels).</summary>
    public IReadOnlyList<Detections> Detect(RoiFeatures features, IReadOnlyList<Tensor> proposals, long height, long width, DetectOptions options)
    {
        var (logits, deltas) = Outputs(features, proposals);
        var scores = functional.softmax(logits, -1);
        var boxes = coder.Decode(deltas, cat(proposals.ToList(), 0));
        var result = new List<Detections>();
        long start = 0;
        foreach (var p in proposals)
        {
            var count = p.shape[0];
            result.Add(PostProcess(boxes.narrow(0, start, count), scores.narrow(0, start, count), height, width, options));
            start += count;
        }

        return Complete(features, result, height, width);
    }

    /// <summary>Class logits [R, K + 1] and deltas [R, 4(K + 1)] for the boxes of every image.</summary>
    public (Tensor Logits, Tensor Deltas) Outputs(RoiFeatures features, IReadOnlyList<Tensor> boxes) =>
        box_predictor.Predict(box_head.call(aligner.Pool(features.Levels, features.Strides, boxes)));

    /// <summary>
    /// The graph of <see cref="Detect"/>'s box stage for one picture, up to the NMS that <see cref="DetectionOnnxExporter"/>
    /// adds: every (proposal, class) pair that <see cref="PostProcess"/> lets through to its NMS — score above the
    /// threshold, sides of at least 0.01 — as a candidate box [1, M, 4] whose score sits in its class's column of
    /// [1, M, K] (0 elsewhere, below any threshold).
    /// </summary>
    public (string Boxes, string Scores) EmitCandidates(OnnxGraph graph, IReadOnlyList<string> levels, IReadOnlyList<long> strides, string proposals, long height, long width, DetectOptions options)
    {
        var (logits, deltas) = box_predictor.EmitPredict(graph, graph.Module(box_head, aligner.EmitPool(graph, levels, strides, proposals)));
        var classes = box_predictor.Classes - 1;
        var scores = graph.Node("Softmax", [logits], OnnxGraph.Attr("axis", -1L));
        var boxes = RcnnGraph.Decode(graph, graph.Node("Reshape", [deltas, graph.Longs(-1, classes + 1, 4)]), graph.Node("Unsqueeze", [proposals, graph.Longs(1)]), [10, 10, 5, 5]);
        boxes = RcnnGraph.Clip(graph, boxes, height, width);
        // Background (column 0) dropped; the pairs are proposal-major, as PostProcess flattens them.
        var b = graph.Node("Reshape", [graph.Node("Slice", [boxes, graph.Longs(1), graph.Longs(classes + 1), graph.Longs(1)]), graph.Longs(-1, 4)]);
        var s = graph.Node("Slice", [scores, graph.Longs(1), graph.Longs(classes + 1), graph.Longs(1)]);
        var range = graph.Longs([.. Enumerable.Range(0, (int)classes).Select(c => (long)c)]);
        var labels = graph.Node("Reshape", [graph.Node("Expand", [range, graph.Node("Shape", [s])]), graph.Longs(-1)]);
        s = graph.Node("Reshape", [s, graph.Longs(-1)]);
        var pass = graph.Node("And", [graph.Node("Greater", [s, graph.Floats((float)options.ScoreThreshold)]), RcnnGraph.LargeEnough(graph, b, 1e-2)]);
        var keep = RcnnGraph.Where(graph, pass);
        var own = graph.Node("Equal", [graph.Node("Unsqueeze", [RcnnGraph.Gather(graph, labels, keep), graph.Longs(1)]), range]);
        var perClass = graph.Node("Where", [own, graph.Node("Unsqueeze", [RcnnGraph.Gather(graph, s, keep), graph.Longs(1)]), graph.Floats(0f)]);
        return (graph.Node("Unsqueeze", [RcnnGraph.Gather(graph, b, keep), graph.Longs(0)]), graph.Node("Unsqueeze", [perClass, graph.Longs(0)]));
    }

    /// <summary>Hook for an extra head (masks): its graph for the final boxes [K, 4] and classes [K]; null without one.</summary>
    public virtual string? EmitMasks(OnnxGraph graph, IReadOnlyList<string> levels, IReadOnlyList<long> strides, string boxes, string classes) => null;

    public override Tensor forward(Tensor input) => throw new NotSupportedException("call Losses or Detect");

    /// <summary>Hook for an extra head (masks): adds its losses for the sampled RoIs.</summary>
    protected virtual void AddLosses(Dictionary<string, Tensor> losses, RoiFeatures features, SampledRois rois, IReadOnlyList<DetectionTarget> targets)
    {
    }

    /// <summary>Hook for an extra head (masks): completes the final detections.</summary>
    protected virtual IReadOnlyList<Detections> Complete(RoiFeatures features, IReadOnlyList<Detections> detections, long height, long width) => detections;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            box_head.Dispose();
            box_predictor.Dispose();
        }

        base.Dispose(disposing);
    }

    private SampledRois Sample(IReadOnlyList<Tensor> proposals, IReadOnlyList<DetectionTarget> targets)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var boxes = new List<Tensor>();
        var classes = new List<Tensor>();
        var matched = new List<Tensor>();
        for (var i = 0; i < targets.Count; i++)
        {
            var gt = targets[i].Boxes.to(proposals[i].device).to(float32);
            var candidates = cat([proposals[i], gt], 0);
            Tensor cls;
            Tensor index;
            if (gt.shape[0] == 0)
            {
                cls = zeros(candidates.shape[0], dtype: int64, device: candidates.device);
                index = zeros_like(cls);
            }
            else
            {
                var matches = matcher.Match(BoxOps.Iou(gt, candidates));
                index = matches.clamp_min(HeldScalars.Zero);
                cls = targets[i].Labels.to(candidates.device).to(int64)[index].add(HeldScalars.One, HeldScalars.One);
                cls[matches.eq(Matcher.Below)] = 0;
                cls[matches.eq(Matcher.Between)] = -1;
            }

            var (pos, neg) = BoxUtil.Indices(sampler.Sample(cls));
            var keep = cat([pos, neg], 0);
            boxes.Add(candidates[keep].MoveToOuterDisposeScope());
            classes.Add(cls[keep].MoveToOuterDisposeScope());
            matched.Add(index[keep].MoveToOuterDisposeScope());
        }

        return new SampledRois(boxes, classes, matched);
    }

    private static Detections PostProcess(Tensor boxes, Tensor scores, long height, long width, DetectOptions options)
    {
        using var scope = NewDisposeScope();
        var classes = scores.shape[1] - 1;
        var clipped = BoxOps.Clip(boxes.reshape(-1, 4), height, width).reshape(-1, classes + 1, 4);
        var b = clipped[.., 1..].reshape(-1, 4);
        var s = scores[.., 1..].reshape(-1);
        var labels = arange(classes, dtype: int64, device: boxes.device).repeat(scores.shape[0]);
        var keep = (s > options.ScoreThreshold).nonzero().squeeze(1);
        (b, s, labels) = (b[keep], s[keep], labels[keep]);
        keep = BoxUtil.KeepLarge(b, 1e-2);
        (b, s, labels) = (b[keep], s[keep], labels[keep]);
        keep = Nms.Batched(b, s, labels, options.NmsThreshold);
        keep = keep[..(int)Math.Min(options.MaxDetections, keep.shape[0])];
        return new Detections(b[keep].MoveToOuterDisposeScope(), s[keep].MoveToOuterDisposeScope(), labels[keep].MoveToOuterDisposeScope());
    }
}
