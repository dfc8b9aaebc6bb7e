using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>A backbone as the R-CNN family sees it: the outputs of its stages, finest first, with their channels
/// and strides.</summary>
internal abstract class FeatureBody(string name) : Module<Tensor, Tensor>(name)
{
    public abstract IReadOnlyList<long> Channels { get; }

    public abstract IReadOnlyList<long> Strides { get; }

    public abstract List<Tensor> Stages(Tensor input);

    /// <summary>The graph values of <see cref="Stages"/> (ONNX export).</summary>
    public abstract string[] EmitStages(OnnxGraph graph, string input);

    public override Tensor forward(Tensor input) => Stages(input)[^1];
}

/// <summary>A neck turning the stages into the pyramid levels (one more than the stages: the RPN's coarsest).</summary>
internal interface IPyramidNeck
{
    long OutChannels { get; }

    List<Tensor> Levels(IReadOnlyList<Tensor> stages);

    /// <summary>The graph values of <see cref="Levels"/> (ONNX export).</summary>
    List<string> EmitLevels(OnnxGraph graph, IReadOnlyList<string> stages);
}

/// <summary>
/// TorchVision's ResNet without its classifier: <c>conv1</c>, <c>bn1</c>, then <c>layer1</c>…<c>layerN</c> registered
/// under TorchVision's names, so the state dict matches <c>fasterrcnn_resnet50_fpn</c>'s <c>backbone.body</c>.
/// </summary>
internal sealed class ResNetBody : FeatureBody
{
    private readonly Module<Tensor, Tensor>[] layers;
    private readonly long[] channels;

    /// <param name="resnet">a fresh TorchVision ResNet; its remaining stages (<see cref="Rest"/>) and head are not used here.</param>
    /// <param name="stages">how many stages to keep (4 with FPN, 3 for the C4 variant).</param>
    public ResNetBody(TorchSharp.Modules.ResNet resnet, int stages, long[] channels)
        : base(nameof(ResNetBody))
    {
        var children = resnet.named_children().ToDictionary(c => c.name, c => (Module<Tensor, Tensor>)c.module);
        var names = new[] { "conv1", "bn1" }.Concat(Enumerable.Range(1, stages).Select(i => $"layer{i}")).ToArray();
        layers = names.Select(n => children[n]).ToArray();
        for (var i = 0; i < names.Length; i++)
        {
            register_module(names[i], layers[i]);
        }

        this.channels = channels[..stages];
        Rest = Enumerable.Range(stages + 1, 4 - stages).Select(i => children[$"layer{i}"]).ToArray();
    }

    /// <summary>The stages after the kept ones (the C4 variant's box head takes <c>layer4</c>).</summary>
    public IReadOnlyList<Module<Tensor, Tensor>> Rest { get; }

    public override IReadOnlyList<long> Channels => channels;

    public override IReadOnlyList<long> Strides => channels.Select((_, i) => 4L << i).ToArray();

    public override List<Tensor> Stages(Tensor input)
    {
        var x = functional.max_pool2d(functional.relu(layers[1].call(layers[0].call(input))), 3, 2, 1);
        var outputs = new List<Tensor>();
        for (var i = 2; i < layers.Length; i++)
        {
            x = layers[i].call(x);
            outputs.Add(x);
        }

        return outputs;
    }

    public override string[] EmitStages(OnnxGraph graph, string input)
    {
        var x = graph.MaxPool(graph.Relu(graph.ConvBn((Conv2d)layers[0], (BatchNorm2d)layers[1], input)), 3, 2, 1);
        var outputs = new string[layers.Length - 2];
        for (var i = 2; i < layers.Length; i++)
        {
            x = outputs[i - 2] = OnnxExporter.ResNetStage(graph, layers[i], x);
        }

        return outputs;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var layer in layers)
            {
                layer.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
