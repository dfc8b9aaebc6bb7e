using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>A backbone as the YOLO necks see it: the feature maps at strides 8, 16 and 32 (shallow to deep) and
/// their channel counts, plus the same computation written into an ONNX graph.</summary>
public abstract class YoloBackbone(string name) : nn.Module<Tensor, Tensor[]>(name)
{
    /// <summary>Channels of the returned maps, shallow to deep.</summary>
    public abstract IReadOnlyList<long> Channels { get; }

    /// <summary>The ONNX values of the returned maps, shallow to deep.</summary>
    public abstract string[] EmitOnnx(OnnxGraph graph, string input);

    /// <summary>The backbone's prunable channel groups, module paths under <paramref name="prefix"/>; the channels of
    /// returned map <i>f</i> (shallow to deep) are also read by <paramref name="readers"/>[<i>f</i>] (the neck).</summary>
    /// <exception cref="NotSupportedException">the backbone declares none.</exception>
    internal virtual IReadOnlyList<ChannelGroup> PrunableGroups(string prefix, IReadOnlyList<IReadOnlyList<ChannelConsumer>> readers) =>
        throw new NotSupportedException($"the {GetName()} backbone has no prunable channel groups declared");
}

/// <summary>A stem followed by a chain of blocks, returning the outputs of the tapped blocks (DarkNet, MobileNetV1).</summary>
public abstract class StackedBackbone : YoloBackbone
{
    private readonly ConvNormAct stem;
    private readonly ModuleList<Module<Tensor, Tensor>> blocks = new();
    private readonly int[] taps;

    /// <param name="taps">indexes of the blocks whose outputs are returned, shallow to deep.</param>
    protected StackedBackbone(string name, ConvNormAct stem, IEnumerable<Module<Tensor, Tensor>> blocks, int[] taps, IReadOnlyList<long> channels)
        : base(name)
    {
        this.stem = stem;
        foreach (var block in blocks)
        {
            this.blocks.Add(block);
        }

        this.taps = taps;
        Channels = channels;
        RegisterComponents();
    }

    public override IReadOnlyList<long> Channels { get; }

    /// <summary>Indexes of the blocks whose outputs are returned, shallow to deep.</summary>
    protected IReadOnlyList<int> Taps => taps;

    /// <summary>The readers of block <paramref name="block"/>'s output beyond the next block: the neck's when it is tapped.</summary>
    protected static IEnumerable<ChannelConsumer> TapReaders(IReadOnlyList<int> taps, int block, IReadOnlyList<IReadOnlyList<ChannelConsumer>> readers)
    {
        int tap = taps.ToList().IndexOf(block);
        return tap < 0 ? [] : readers[tap];
    }

    public override Tensor[] forward(Tensor input)
    {
        var outputs = new List<Tensor>();
        Tensor x = stem.call(input);
        for (int i = 0; i < blocks.Count; i++)
        {
            x = blocks[i].call(x);
            if (taps.Contains(i))
            {
                outputs.Add(x);
            }
        }

        return outputs.ToArray();
    }

    public override string[] EmitOnnx(OnnxGraph graph, string input)
    {
        var outputs = new List<string>();
        string x = stem.EmitOnnx(graph, input);
        for (int i = 0; i < blocks.Count; i++)
        {
            x = graph.Module(blocks[i], x);
            if (taps.Contains(i))
            {
                outputs.Add(x);
            }
        }

        return outputs.ToArray();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            stem.Dispose();
            blocks.Dispose();
        }

        base.Dispose(disposing);
    }
}
