using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// Feature pyramid network: a 1×1 lateral convolution per backbone stage, the top-down path (nearest up-sampling
/// added to the next finer lateral), a 3×3 output convolution per level and one extra coarsest level by stride-2
/// sub-sampling of the last output (P6, used by the RPN only). State-dict names as TorchVision's
/// (<c>inner_blocks.i.0</c>, <c>layer_blocks.i.0</c>).
/// </summary>
internal sealed class FeaturePyramid : Module<Tensor, Tensor>, IPyramidNeck
{
    private readonly ModuleList<Sequential> inner_blocks = new();
    private readonly ModuleList<Sequential> layer_blocks = new();

    public FeaturePyramid(IReadOnlyList<long> inChannels, long outChannels)
        : base(nameof(FeaturePyramid))
    {
        foreach (var c in inChannels)
        {
            inner_blocks.Add(Sequential(Conv2d(c, outChannels, 1)));
            layer_blocks.Add(Sequential(Conv2d(outChannels, outChannels, 3, padding: 1)));
        }

        RegisterComponents();
        foreach (var conv in modules().OfType<Conv2d>())
        {
            init.kaiming_uniform_(conv.weight, a: 1);
            init.zeros_(conv.bias);
        }
    }

    public long OutChannels => ((Conv2d)layer_blocks[0][0]).out_channels;

    /// <summary>One output per input level plus the extra coarsest one, finest first.</summary>
    public List<Tensor> Levels(IReadOnlyList<Tensor> features)
    {
        var last = inner_blocks[^1].call(features[^1]);
        var results = new List<Tensor> { layer_blocks[^1].call(last) };
        for (var i = features.Count - 2; i >= 0; i--)
        {
            var lateral = inner_blocks[i].call(features[i]);
            var topDown = functional.interpolate(last, [lateral.shape[2], lateral.shape[3]], mode: InterpolationMode.Nearest);
            last = lateral + topDown;
            results.Insert(0, layer_blocks[i].call(last));
        }

        results.Add(functional.max_pool2d(results[^1], 1, 2, 0));
        return results;
    }

    public List<string> EmitLevels(OnnxGraph graph, IReadOnlyList<string> stages)
    {
        var last = graph.Module(inner_blocks[^1], stages[^1]);
        var results = new List<string> { graph.Module(layer_blocks[^1], last) };
        for (var i = stages.Count - 2; i >= 0; i--)
        {
            var lateral = graph.Module(inner_blocks[i], stages[i]);
            // interpolate(nearest) to the lateral's size: source index floor(destination · in/out).
            var size = graph.Node("Shape", [lateral]);
            var topDown = graph.Node("Resize", [last, string.Empty, string.Empty, size],
                OnnxGraph.Attr("mode", "nearest"), OnnxGraph.Attr("nearest_mode", "floor"), OnnxGraph.Attr("coordinate_transformation_mode", "asymmetric"));
            last = graph.Add(lateral, topDown);
            results.Insert(0, graph.Module(layer_blocks[i], last));
        }

        results.Add(graph.MaxPool(results[^1], 1, 2, 0));
        return results;
    }

    public override Tensor forward(Tensor input) => throw new NotSupportedException("call Levels with the backbone stages");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner_blocks.Dispose();
            layer_blocks.Dispose();
        }

        base.Dispose(disposing);
    }
}
