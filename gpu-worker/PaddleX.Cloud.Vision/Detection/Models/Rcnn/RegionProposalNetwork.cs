using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Ops;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// Region proposal network: anchors on every level, objectness and deltas from <see cref="RpnHead"/>; proposals are
/// the top-scoring decoded anchors per level, clipped, NMS'd per level and cut to the post-NMS count. Training adds
/// the objectness (binary cross-entropy) and box (smooth L1, β = 1/9) losses over a balanced anchor sample.
/// </summary>
internal sealed class RegionProposalNetwork : Module<Tensor, Tensor>
{
    private readonly RpnHead head;
    private readonly AnchorGenerator anchorGenerator;
    private readonly RcnnSettings settings;
    private readonly BoxCoder coder = new([1, 1, 1, 1]);
    private readonly Matcher matcher;
    private readonly BalancedPositiveNegativeSampler sampler;

    public RegionProposalNetwork(long inChannels, RcnnSettings settings)
        : base(nameof(RegionProposalNetwork))
    {
        this.settings = settings;
        anchorGenerator = new AnchorGenerator(
            settings.AnchorSizes.Select(s => s.ToArray()).ToArray(), settings.AnchorSizes.Select(_ => settings.AspectRatios.ToArray()).ToArray());
        head = new RpnHead(inChannels, anchorGenerator.NumAnchorsPerLocation[0]);
        matcher = new Matcher(settings.RpnPositiveOverlap, settings.RpnNegativeOverlap, allowLowQualityMatches: true);
        sampler = new BalancedPositiveNegativeSampler(settings.RpnBatchPerImage, settings.RpnFgFraction);
        RegisterComponents();
    }

    /// <summary>Proposals per image ([P, 4], input pixels, by decreasing objectness) and, with targets, the RPN losses.</summary>
    public (List<Tensor> Proposals, Dictionary<string, Tensor> Losses) Propose(
        IReadOnlyList<Tensor> levels, long height, long width, IReadOnlyList<DetectionTarget>? targets)
    {
        var objectness = new List<Tensor>();
        var deltas = new List<Tensor>();
        foreach (var level in levels)
        {
            var (o, d) = head.Level(level);
            objectness.Add(o);
            deltas.Add(d);
        }

        var anchors = anchorGenerator.GridAnchors(levels.Select(l => (l.shape[2], l.shape[3])).ToArray(), (height, width), levels[0].device).ToList();

        var proposals = Filter(objectness, deltas, anchors, height, width);
        var losses = new Dictionary<string, Tensor>();
        if (targets is not null)
        {
            (losses["loss_rpn_cls"], losses["loss_rpn_reg"]) = Loss(cat(objectness, 1), cat(deltas, 1), cat(anchors, 0), targets);
        }

        return (proposals, losses);
    }

    /// <summary>
    /// The graph of <see cref="Filter"/> in eval mode for one picture of a fixed size (level grids
    /// <paramref name="sizes"/>): the anchors are constants, each level's best <c>RpnPreNmsTopNTest</c> are decoded,
    /// clipped and filtered, NMS runs within each level, and the best <c>RpnPostNmsTopNTest</c> remain ([P, 4]).
    /// </summary>
    public string EmitProposals(OnnxGraph graph, IReadOnlyList<string> levels, IReadOnlyList<(long Height, long Width)> sizes, long height, long width)
    {
        using var scope = NewDisposeScope();
        var anchors = anchorGenerator.GridAnchors(sizes, (height, width));
        var boxes = new List<string>();
        var scores = new List<string>();
        var levelOf = new List<long>();
        for (var l = 0; l < levels.Count; l++)
        {
            var (objectness, deltas) = head.EmitLevel(graph, levels[l]);
            var k = (int)Math.Min(settings.RpnPreNmsTopNTest, anchors[l].shape[0]);
            var top = graph.Nodes("TopK", [objectness, graph.Longs(k)], 2, OnnxGraph.Attr("axis", 0L), OnnxGraph.Attr("largest", 1L), OnnxGraph.Attr("sorted", 1L));
            var anchorValues = graph.Floats(anchors[l].shape, HostArrays.Of<float>(anchors[l], ScalarType.Float32));
            var decoded = RcnnGraph.Decode(graph, graph.Node("Unsqueeze", [RcnnGraph.Gather(graph, deltas, top[1]), graph.Longs(1)]),
                graph.Node("Unsqueeze", [RcnnGraph.Gather(graph, anchorValues, top[1]), graph.Longs(1)]), [1, 1, 1, 1]);
            boxes.Add(graph.Node("Reshape", [decoded, graph.Longs(-1, 4)]));
            scores.Add(graph.Sigmoid(top[0]));
            levelOf.AddRange(Enumerable.Repeat((long)l, k));
        }

        var all = RcnnGraph.Clip(graph, graph.Node("Concat", boxes, OnnxGraph.Attr("axis", 0L)), height, width);
        var keep = RcnnGraph.Where(graph, RcnnGraph.LargeEnough(graph, all, 1e-3));
        all = RcnnGraph.Gather(graph, all, keep);
        var score = RcnnGraph.Gather(graph, graph.Node("Concat", scores, OnnxGraph.Attr("axis", 0L)), keep);
        var level = RcnnGraph.Gather(graph, graph.Longs([.. levelOf]), keep);
        keep = RcnnGraph.BatchedNms(graph, all, score, level, levels.Count, settings.RpnPostNmsTopNTest, settings.RpnNmsThreshold);
        return RcnnGraph.Gather(graph, all, keep);
    }

    public override Tensor forward(Tensor input) => throw new NotSupportedException("call Propose");

    private List<Tensor> Filter(List<Tensor> objectness, List<Tensor> deltas, List<Tensor> anchors, long height, long width)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var preNms = training ? settings.RpnPreNmsTopNTrain : settings.RpnPreNmsTopNTest;
        var postNms = training ? settings.RpnPostNmsTopNTrain : settings.RpnPostNmsTopNTest;
        var batch = objectness[0].shape[0];
        var result = new List<Tensor>();
        for (var b = 0; b < batch; b++)
        {
            var boxes = new List<Tensor>();
            var scores = new List<Tensor>();
            var levelOf = new List<Tensor>();
            for (var l = 0; l < objectness.Count; l++)
            {
                var (top, index) = objectness[l][b].topk((int)Math.Min(preNms, objectness[l].shape[1]));
                boxes.Add(coder.Decode(deltas[l][b][index], anchors[l][index]));
                scores.Add(top.sigmoid());
                levelOf.Add(full(index.shape[0], l, dtype: int64, device: index.device));
            }

            var all = BoxOps.Clip(cat(boxes, 0), height, width);
            var score = cat(scores, 0);
            var level = cat(levelOf, 0);
            var keep = BoxUtil.KeepLarge(all, 1e-3);
            (all, score, level) = (all[keep], score[keep], level[keep]);
            keep = Nms.Batched(all, score, level, settings.RpnNmsThreshold);
            keep = keep[..(int)Math.Min(postNms, keep.shape[0])];
            result.Add(all[keep].MoveToOuterDisposeScope());
        }

        return result;
    }

    private (Tensor Cls, Tensor Reg) Loss(Tensor objectness, Tensor deltas, Tensor anchors, IReadOnlyList<DetectionTarget> targets)
    {
        using var scope = NewDisposeScope();
        var sampledPos = new List<Tensor>();
        var sampledAll = new List<Tensor>();
        var labels = new List<Tensor>();
        var regression = new List<Tensor>();
        var n = anchors.shape[0];
        for (var b = 0; b < targets.Count; b++)
        {
            var gt = targets[b].Boxes.to(anchors.device);
            Tensor label;
            Tensor matchedBoxes;
            if (gt.shape[0] == 0)
            {
                label = zeros(n, device: anchors.device);
                matchedBoxes = zeros_like(anchors);
            }
            else
            {
                var matches = matcher.Match(BoxOps.Iou(gt, anchors));
                label = matches.ge(HeldScalars.Zero).to(float32);
                label[matches.eq(Matcher.Between)] = -1;
                matchedBoxes = gt[matches.clamp_min(HeldScalars.Zero)];
            }

            var (pos, neg) = BoxUtil.Indices(sampler.Sample(label));
            var offset = b * n;
            sampledPos.Add(pos + offset);
            sampledAll.Add(cat([pos, neg], 0) + offset);
            labels.Add(label);
            regression.Add(coder.Encode(matchedBoxes, anchors));
        }

        var positive = cat(sampledPos, 0);
        var sampled = cat(sampledAll, 0);
        var flatDeltas = deltas.reshape(-1, 4);
        var boxLoss = functional.smooth_l1_loss(flatDeltas[positive], cat(regression, 0)[positive], reduction: Reduction.Sum, beta: 1.0 / 9)
            / Math.Max(1, sampled.shape[0]);
        var clsLoss = functional.binary_cross_entropy_with_logits(objectness.reshape(-1)[sampled], cat(labels, 0)[sampled]);
        return (clsLoss.MoveToOuterDisposeScope(), boxLoss.MoveToOuterDisposeScope());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            head.Dispose();
        }

        base.Dispose(disposing);
    }
}
