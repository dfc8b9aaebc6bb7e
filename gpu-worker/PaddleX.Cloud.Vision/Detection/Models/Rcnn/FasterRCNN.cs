using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Export;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// Faster R-CNN (PaddleX's <c>FasterRCNN</c>): backbone (+ FPN), region proposal network, RoI heads. Module names
/// follow TorchVision's <c>fasterrcnn_resnet50_fpn</c> (<c>backbone.body</c>, <c>backbone.fpn</c>, <c>rpn.head</c>,
/// <c>roi_heads.box_head</c>, <c>roi_heads.box_predictor</c>), so its state dicts load here. Classes are 0-based
/// outside; the box predictor puts background at index 0.
/// </summary>
public class FasterRCNN : Module<Tensor, Tensor>, IDetector, IDetectionOnnxExportable
{
    private readonly RcnnBackbone backbone;
    private readonly RegionProposalNetwork rpn;
    private readonly RoIHeads roi_heads;

    /// <summary>The RoI heads' pyramid levels in the graph being written (the mask head pools from them too).</summary>
    private (OnnxGraph Graph, IReadOnlyList<string> Levels, IReadOnlyList<long> Strides)? emittedRoiLevels;

    /// <param name="backboneName">one of <see cref="RcnnBackbones.Names"/>.</param>
    /// <param name="withFpn">false is honoured for ResNet50 and ResNet50_vd only (the C4 variant), as in PaddleX.</param>
    public FasterRCNN(string backboneName, int numClasses, bool withFpn = true, RcnnSettings? settings = null)
        : this(nameof(FasterRCNN), backboneName, numClasses, withFpn, settings, (head, features, classes, s) => new RoIHeads(head, features, classes, s))
    {
    }

    /// <summary>For architectures that extend the RoI heads (Mask R-CNN).</summary>
    internal FasterRCNN(
        string architecture,
        string backboneName,
        int numClasses,
        bool withFpn,
        RcnnSettings? settings,
        Func<Module<Tensor, Tensor>, long, int, RcnnSettings, RoIHeads> roiHeads)
        : base(architecture)
    {
        if (numClasses < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "a detector needs at least one class");
        }

        Architecture = architecture;
        Backbone = backboneName;
        NumClasses = numClasses;
        WithFpn = withFpn || !RcnnBackbones.SupportsC4(backboneName);
        Settings = settings ?? (WithFpn ? new RcnnSettings() : RcnnSettings.ForC4);
        var (built, boxHead, headFeatures) = RcnnBackbones.Create(backboneName, WithFpn, Settings);
        backbone = built;
        rpn = new RegionProposalNetwork(backbone.OutChannels, Settings);
        roi_heads = roiHeads(boxHead, headFeatures, numClasses, Settings);
        RegisterComponents();
    }

    public string Architecture { get; }

    public string Backbone { get; }

    public int NumClasses { get; }

    /// <summary>Whether the network has the FPN neck (PaddleX forces it for every backbone but ResNet50(_vd)).</summary>
    public bool WithFpn { get; }

    public RcnnSettings Settings { get; }

    /// <summary>PaddleX's post-processing for this architecture (score 0.05, NMS 0.5, 100 boxes; no per-class cut
    /// before the NMS).</summary>
    public DetectOptions DefaultDetectOptions => new(Settings.ScoreThreshold, Settings.NmsThreshold, Settings.KeepTopK, PreNmsTopK: 0);

    public Dictionary<string, Tensor> Losses(Tensor images, IReadOnlyList<DetectionTarget> targets)
    {
        var (levels, roi) = backbone.Features(images);
        var (proposals, losses) = rpn.Propose(levels, images.shape[2], images.shape[3], targets);
        foreach (var (name, value) in roi_heads.Losses(roi, proposals, targets))
        {
            losses[name] = value;
        }

        return losses;
    }

    public IReadOnlyList<Detections> Detect(Tensor images, DetectOptions options)
    {
        using var noGrad = no_grad();
        var (levels, roi) = backbone.Features(images);
        var (proposals, _) = rpn.Propose(levels, images.shape[2], images.shape[3], null);
        return roi_heads.Detect(roi, proposals, images.shape[2], images.shape[3], options);
    }

    /// <summary>The stages of the computation without post-processing, for parity checks: pyramid levels, RPN
    /// proposals per image (current mode) and the box head's logits and deltas for <paramref name="rois"/>.</summary>
    internal (List<Tensor> Levels, List<Tensor> Proposals, Tensor Logits, Tensor Deltas) Trace(Tensor images, IReadOnlyList<Tensor> rois)
    {
        using var noGrad = no_grad();
        var (levels, roi) = backbone.Features(images);
        var proposals = rpn.Propose(levels, images.shape[2], images.shape[3], null).Proposals;
        var (logits, deltas) = roi_heads.Outputs(roi, rois);
        return (levels, proposals, logits, deltas);
    }

    /// <summary>The graph of <see cref="Detect"/> for one picture of <paramref name="width"/>×<paramref name="height"/>
    /// up to the final NMS: the level grids (hence the anchors) come from one run of the backbone at that size.</summary>
    public (string Boxes, string Scores) EmitCandidates(OnnxGraph graph, string input, int height, int width)
    {
        (long, long)[] sizes;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            sizes = [.. backbone.Features(zeros(1, 3, height, width)).RpnLevels.Select(l => (l.shape[2], l.shape[3]))];
        }

        var (rpnLevels, roiLevels, strides) = backbone.EmitFeatures(graph, input);
        emittedRoiLevels = (graph, roiLevels, strides);
        var proposals = rpn.EmitProposals(graph, rpnLevels, sizes, height, width);
        return roi_heads.EmitCandidates(graph, roiLevels, strides, proposals, height, width, DefaultDetectOptions);
    }

    /// <summary>The extra head's output for the final detections (Mask R-CNN's masks), on the pyramid levels
    /// <see cref="EmitCandidates"/> wrote into the same graph.</summary>
    public string? EmitMasks(OnnxGraph graph, string boxes, string classes) =>
        emittedRoiLevels is var (g, levels, strides) && ReferenceEquals(g, graph)
            ? roi_heads.EmitMasks(graph, levels, strides, boxes, classes)
            : throw new InvalidOperationException("EmitCandidates writes the pyramid into this graph first");

    public override Tensor forward(Tensor input) => throw new NotSupportedException("call Losses or Detect");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            backbone.Dispose();
            rpn.Dispose();
            roi_heads.Dispose();
        }

        base.Dispose(disposing);
    }
}
