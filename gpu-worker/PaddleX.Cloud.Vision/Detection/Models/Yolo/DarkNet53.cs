using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Slim;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>DarkNet-53 (YOLOv3's backbone): a 3×3 stem, then five stages, each a stride-2 3×3 convolution and
/// 1, 2, 8, 8, 4 residual blocks (1×1 halving, 3×3 restoring); leaky ReLU throughout. Returns stages 3–5
/// (256, 512, 1024 channels at strides 8, 16, 32).</summary>
public sealed class DarkNet53()
    : StackedBackbone(nameof(DarkNet53), new ConvNormAct(3, 32, 3), Stages(), [2, 3, 4], [256, 512, 1024])
{
    private static readonly int[] Blocks = [1, 2, 8, 8, 4];

    /// <summary>Each stage's stride-2 convolution and the last convolution of every residual block added to it form
    /// one group (read by each block's 1×1, the next stage and, when tapped, the neck); each block's 1×1 is a group
    /// read by its 3×3; the stem is read by the first stage.</summary>
    internal override IReadOnlyList<ChannelGroup> PrunableGroups(string prefix, IReadOnlyList<IReadOnlyList<ChannelConsumer>> readers)
    {
        var groups = new List<ChannelGroup> { ConvNormAct.Group($"{prefix}stem").Consumer($"{prefix}blocks.0.0.conv").Build() };
        for (int s = 0; s < Blocks.Length; s++)
        {
            string stage = $"{prefix}blocks.{s}";
            var stream = ConvNormAct.Group($"{stage}.0");
            for (int b = 1; b <= Blocks[s]; b++)
            {
                stream.Producer($"{stage}.{b}.conv2.conv", $"{stage}.{b}.conv2.bn").Consumer($"{stage}.{b}.conv1.conv");
                groups.Add(ConvNormAct.Group($"{stage}.{b}.conv1").Consumer($"{stage}.{b}.conv2.conv").Build());
            }

            if (s + 1 < Blocks.Length)
            {
                stream.Consumer($"{prefix}blocks.{s + 1}.0.conv");
            }

            foreach (var reader in TapReaders(Taps, s, readers))
            {
                stream.Consumer(reader.Module, reader.Offset);
            }

            groups.Add(stream.Build());
        }

        return groups;
    }

    private static IEnumerable<Module<Tensor, Tensor>> Stages()
    {
        long ch = 32;
        foreach (int n in Blocks)
        {
            var stage = new List<Module<Tensor, Tensor>> { new ConvNormAct(ch, ch * 2, 3, stride: 2) };
            for (int i = 0; i < n; i++)
            {
                stage.Add(new DarkResidual(ch * 2));
            }

            yield return Sequential(stage);
            ch *= 2;
        }
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
