using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Upsample = PaddleX.Cloud.Vision.Models.Backbones.Upsample;

namespace PaddleX.Cloud.Vision.Models.Segmentation;

/// <summary>
/// BiSeNetV2 (λ = 0.25): a detail branch of plain 3×3 convolutions (64, 64, 128 channels, stride 8), a
/// semantic branch (stem block, gather-and-expansion layers 16→32→64→128 to stride 32, context embedding)
/// and bilateral guided aggregation, then a 3×3/1×1 segmentation head up-sampled to the input size. Four
/// auxiliary heads on the semantic stages (strides 4, 8, 16, 32) each add a loss of weight 1 in training.
/// </summary>
public sealed class BiSeNetV2 : Module<Tensor, Tensor>, IOnnxExportable, IAuxiliaryHeads
{
    private readonly Sequential detail;
    private readonly StemBlock stem;
    private readonly Sequential stage3;
    private readonly Sequential stage4;
    private readonly Sequential stage5;
    private readonly ContextEmbedding context;
    private readonly GuidedAggregation aggregation;
    private readonly Sequential head;
    private readonly ModuleList<Sequential> auxHeads = new();

    public BiSeNetV2(int numClasses, int inChannels)
        : base(nameof(BiSeNetV2))
    {
        detail = Sequential(
            new ConvBnAct(inChannels, 64, 3, stride: 2), new ConvBnAct(64, 64, 3),
            new ConvBnAct(64, 64, 3, stride: 2), new ConvBnAct(64, 64, 3), new ConvBnAct(64, 64, 3),
            new ConvBnAct(64, 128, 3, stride: 2), new ConvBnAct(128, 128, 3), new ConvBnAct(128, 128, 3));
        stem = new StemBlock(inChannels, 16);
        stage3 = Sequential(GatherExpansion.Create(16, 32, 2), GatherExpansion.Create(32, 32, 1));
        stage4 = Sequential(GatherExpansion.Create(32, 64, 2), GatherExpansion.Create(64, 64, 1));
        stage5 = Sequential(GatherExpansion.Create(64, 128, 2), GatherExpansion.Create(128, 128, 1), GatherExpansion.Create(128, 128, 1), GatherExpansion.Create(128, 128, 1));
        context = new ContextEmbedding(128);
        aggregation = new GuidedAggregation(128);
        head = Head(128, numClasses);
        foreach (var channels in new long[] { 16, 32, 64, 128 })
        {
            auxHeads.Add(Head(channels, numClasses));
        }

        RegisterComponents();
    }

    public IReadOnlyList<float> LossWeights { get; } = [1f, 1f, 1f, 1f, 1f];

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return Upsample.Like(head.call(Features(input)[0]), input).MoveToOuterDisposeScope();
    }

    public IReadOnlyList<Tensor> ForwardWithAuxiliary(Tensor input)
    {
        using var scope = NewDisposeScope();
        var features = Features(input);
        var outputs = new List<Tensor> { Upsample.Like(head.call(features[0]), input) };
        for (var i = 0; i < auxHeads.Count; i++)
        {
            outputs.Add(Upsample.Like(auxHeads[i].call(features[i + 1]), input));
        }

        return outputs.Select(o => o.MoveToOuterDisposeScope()).ToList();
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var d = graph.Module(detail, input);
        var s = graph.Module(stage5, graph.Module(stage4, graph.Module(stage3, graph.Module(stem, input))));
        var x = aggregation.Emit(graph, d, graph.Module(context, s));
        return graph.ResizeLike(graph.Module(head, x), input);
    }

    /// <summary>The aggregated features, then the semantic stages' outputs (strides 4, 8, 16, 32).</summary>
    private List<Tensor> Features(Tensor input)
    {
        var d = detail.call(input);
        var s2 = stem.call(input);
        var s3 = stage3.call(s2);
        var s4 = stage4.call(s3);
        var s5 = stage5.call(s4);
        return [aggregation.Forward(d, context.call(s5)), s2, s3, s4, s5];
    }

    private static Sequential Head(long inChannels, int numClasses) =>
        Sequential(new ConvBnAct(inChannels, 128, 3), Dropout(0.1), Conv2d(128, numClasses, 1));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            detail.Dispose();
            stem.Dispose();
            stage3.Dispose();
            stage4.Dispose();
            stage5.Dispose();
            context.Dispose();
            aggregation.Dispose();
            head.Dispose();
            auxHeads.Dispose();
        }

        base.Dispose(disposing);
    }
}
