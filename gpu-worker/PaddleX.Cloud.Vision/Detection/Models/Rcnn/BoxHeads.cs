using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>The FPN box head: flatten the pooled RoI, two fully connected layers with ReLU
/// (<c>fc6</c>, <c>fc7</c> as TorchVision's TwoMLPHead and PaddleX's TwoFCHead).</summary>
internal sealed class TwoMlpHead : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Linear fc6;
    private readonly Linear fc7;

    public TwoMlpHead(long inFeatures, long width)
        : base(nameof(TwoMlpHead))
    {
        fc6 = Linear(inFeatures, width);
        fc7 = Linear(width, width);
        RegisterComponents();
    }

    public long OutFeatures => fc7.out_features;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return functional.relu(fc7.call(functional.relu(fc6.call(input.flatten(1))))).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraph graph, string input) =>
        graph.Relu(graph.Linear(fc7, graph.Relu(graph.Linear(fc6, graph.Node("Flatten", [input], OnnxGraph.Attr("axis", 1L))))));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            fc6.Dispose();
            fc7.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>The box head without FPN: the last ResNet stage over 14×14 RoIs, then global average pooling
/// (PaddleX's Res5Head with pooling).</summary>
internal sealed class Res5Head : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Module<Tensor, Tensor> layer4;

    public Res5Head(Module<Tensor, Tensor> stage, long outFeatures)
        : base(nameof(Res5Head))
    {
        layer4 = stage;
        OutFeatures = outFeatures;
        RegisterComponents();
    }

    public long OutFeatures { get; }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return layer4.call(input).mean([2, 3]).MoveToOuterDisposeScope();
    }

    /// <summary>ResNet_vd's stage writes itself; TorchVision's (plain blocks) goes through the classifier exporter's walk.</summary>
    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var x = layer4.children().First() is IOnnxExportable ? graph.Module(layer4, input) : OnnxExporter.ResNetStage(graph, layer4, input);
        return graph.Node("Flatten", [graph.GlobalAveragePool(x)], OnnxGraph.Attr("axis", 1L));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            layer4.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Class logits (background first) and class-specific box deltas (<c>cls_score</c>, <c>bbox_pred</c>).</summary>
internal sealed class BoxPredictor : Module<Tensor, Tensor>
{
    private readonly Linear cls_score;
    private readonly Linear bbox_pred;

    public BoxPredictor(long inFeatures, long classesWithBackground)
        : base(nameof(BoxPredictor))
    {
        cls_score = Linear(inFeatures, classesWithBackground);
        bbox_pred = Linear(inFeatures, classesWithBackground * 4);
        RegisterComponents();
        init.normal_(cls_score.weight, std: 0.01);
        init.normal_(bbox_pred.weight, std: 0.001);
        init.zeros_(cls_score.bias);
        init.zeros_(bbox_pred.bias);
    }

    /// <summary>Classes with the background.</summary>
    public long Classes => cls_score.out_features;

    public (Tensor Logits, Tensor Deltas) Predict(Tensor features) => (cls_score.call(features), bbox_pred.call(features));

    public (string Logits, string Deltas) EmitPredict(OnnxGraph graph, string features) =>
        (graph.Linear(cls_score, features), graph.Linear(bbox_pred, features));

    public override Tensor forward(Tensor input) => cls_score.call(input);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            cls_score.Dispose();
            bbox_pred.Dispose();
        }

        base.Dispose(disposing);
    }
}
