using PaddleX.Cloud.Vision.Slim;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>MobileNetV1 (scale 1): a stride-2 3×3 stem and 13 depthwise-separable units (3×3 depthwise, 1×1
/// pointwise, BatchNorm and ReLU after each). Returns the outputs of units 5, 11 and 13 (256, 512, 1024 channels
/// at strides 8, 16, 32), the feature maps PaddleX's YOLOv3 takes from it.</summary>
public sealed class MobileNetV1()
    : StackedBackbone(nameof(MobileNetV1), new ConvNormAct(3, 32, 3, stride: 2, act: Activation.Relu), Units(), [4, 10, 12], [256, 512, 1024])
{
    /// <summary>(output channels, stride) of the 13 separable units.</summary>
    private static readonly (long Out, long Stride)[] Layout =
    [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    ];

    /// <summary>The stem and every pointwise convolution start a group that the next unit's depthwise convolution
    /// follows and its pointwise convolution reads; tapped units are read by the neck too.</summary>
    internal override IReadOnlyList<ChannelGroup> PrunableGroups(string prefix, IReadOnlyList<IReadOnlyList<ChannelConsumer>> readers)
    {
        var groups = new List<ChannelGroup>();
        for (int i = -1; i < Layout.Length; i++)
        {
            var group = ConvNormAct.Group(i < 0 ? $"{prefix}stem" : $"{prefix}blocks.{i}.pw");
            if (i + 1 < Layout.Length)
            {
                group.Depthwise($"{prefix}blocks.{i + 1}.dw.conv", $"{prefix}blocks.{i + 1}.dw.bn").Consumer($"{prefix}blocks.{i + 1}.pw.conv");
            }

            foreach (var reader in TapReaders(Taps, i, readers))
            {
                group.Consumer(reader.Module, reader.Offset);
            }

            groups.Add(group.Build());
        }

        return groups;
    }

    private static IEnumerable<Module<Tensor, Tensor>> Units()
    {
        long ch = 32;
        foreach (var (outCh, stride) in Layout)
        {
            yield return Sequential(
                ("dw", new ConvNormAct(ch, ch, 3, stride: stride, groups: ch, act: Activation.Relu)),
                ("pw", new ConvNormAct(ch, outCh, 1, act: Activation.Relu)));
            ch = outCh;
        }
    }
}
