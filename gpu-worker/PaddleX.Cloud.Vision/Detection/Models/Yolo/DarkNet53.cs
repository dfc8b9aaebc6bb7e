using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>DarkNet-53 (YOLOv3's backbone): a 3×3 stem, then five stages, each a stride-2 3×3 convolution and
/// 1, 2, 8, 8, 4 residual blocks (1×1 halving, 3×3 restoring); leaky ReLU throughout. Returns stages 3–5
/// (256, 512, 1024 channels at strides 8, 16, 32).</summary>
public sealed class DarkNet53 : YoloBackbone
{
    private static readonly int[] Blocks = [1, 2, 8, 8, 4];

    private readonly ConvNormAct stem;
    private readonly ModuleList<Module<Tensor, Tensor>> stages = new();

    public DarkNet53()
        : base(nameof(DarkNet53))
    {
        stem = new ConvNormAct(3, 32, 3);
        long ch = 32;
        foreach (int n in Blocks)
        {
            var stage = new List<Module<Tensor, Tensor>> { new ConvNormAct(ch, ch * 2, 3, stride: 2) };
            for (int i = 0; i < n; i++)
            {
                stage.Add(new DarkResidual(ch * 2));
            }

            stages.Add(Sequential(stage));
            ch *= 2;
        }

        RegisterComponents();
    }

    public override IReadOnlyList<long> Channels { get; } = [256, 512, 1024];

    public override Tensor[] forward(Tensor input)
    {
        var outputs = new List<Tensor>();
        Tensor x = stem.call(input);
        for (int i = 0; i < stages.Count; i++)
        {
            x = stages[i].call(x);
            if (i >= 2)
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
        for (int i = 0; i < stages.Count; i++)
        {
            x = graph.Module(stages[i], x);
            if (i >= 2)
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
            stages.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>x + conv3×3(conv1×1(x)), the 1×1 halving the channels.</summary>
    private sealed class DarkResidual : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly ConvNormAct conv1;
        private readonly ConvNormAct conv2;

        public DarkResidual(long channels)
            : base(nameof(DarkResidual))
        {
            conv1 = new ConvNormAct(channels, channels / 2, 1);
            conv2 = new ConvNormAct(channels / 2, channels, 3);
            RegisterComponents();
        }

        // Not in place: the leaky ReLU before keeps its output for the backward pass.
        public override Tensor forward(Tensor input) => conv2.call(conv1.call(input)) + input;

        public string EmitOnnx(OnnxGraph graph, string input) => graph.Add(conv2.EmitOnnx(graph, conv1.EmitOnnx(graph, input)), input);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                conv1.Dispose();
                conv2.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
