using PaddleX.Cloud.Vision.Models.Classification;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Slim;

/// <summary>
/// The prunable channel groups of a network. Models of this engine declare their own (<see cref="IPrunable"/>);
/// TorchVision's classification networks are declared here by module name: ResNet (basic and bottleneck
/// blocks: one group inside each block per inner convolution, one group per residual stream — the stem or a
/// downsample and every block output added to it) and MobileNetV2 (the expansion of each inverted residual
/// with its depthwise convolution, and the residual streams, the stem's with the first depthwise convolution).
/// </summary>
public static class PrunableGroups
{
    /// <exception cref="NotSupportedException">the network declares no groups (the message names it).</exception>
    public static IReadOnlyList<ChannelGroup> For(string modelName, nn.Module model)
    {
        if (model is IPrunable prunable)
        {
            return prunable.PrunableGroups();
        }

        var children = model.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
        if (children.ContainsKey("layer1") && children.ContainsKey("fc"))
        {
            return ResNet(children, string.Empty, layer => children.ContainsKey($"layer{layer + 1}") ? [] : [new ChannelConsumer("fc")]);
        }

        if (modelName == "MobileNetV2" && children.ContainsKey("features"))
        {
            return MobileNetV2(children);
        }

        throw new NotSupportedException($"{modelName} has no prunable channel groups declared yet; prunable: ResNet18/34/50, MobileNetV2 ({string.Join(", ", ClassificationModels.Names.Where(n => n.StartsWith("ResNet", StringComparison.Ordinal) || n == "MobileNetV2"))}) and UNet");
    }

    /// <summary>True when <see cref="For"/> knows the network.</summary>
    public static bool Supports(string modelName, nn.Module model)
    {
        try
        {
            return For(modelName, model).Count > 0;
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>TorchVision's ResNet by child name (<paramref name="children"/>: conv1, bn1, layer1…), its module
    /// paths under <paramref name="prefix"/>; the residual stream leaving layer <i>n</i> is also read by
    /// <paramref name="readersAfter"/>(<i>n</i>) (the classifier, or a detector's neck).</summary>
    internal static List<ChannelGroup> ResNet(IReadOnlyDictionary<string, nn.Module> children, string prefix, Func<int, IEnumerable<ChannelConsumer>> readersAfter)
    {
        var groups = new List<ChannelGroup>();
        var stream = new GroupBuilder($"{prefix}conv1");
        stream.Producer($"{prefix}conv1", $"{prefix}bn1");
        for (var layer = 1; children.TryGetValue($"layer{layer}", out var stage); layer++)
        {
            foreach (var (blockName, block) in stage.named_children())
            {
                var path = $"{prefix}layer{layer}.{blockName}";
                var b = block.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
                var last = b.ContainsKey("conv3") ? 3 : 2;
                for (var i = 1; i < last; i++)
                {
                    groups.Add(new GroupBuilder($"{path}.conv{i}").Producer($"{path}.conv{i}", $"{path}.bn{i}").Consumer($"{path}.conv{i + 1}").Build());
                }

                stream.Consumer($"{path}.conv1");
                if (b.TryGetValue("downsample", out var down) && down.named_children().Any())
                {
                    stream.Consumer($"{path}.downsample.0");
                    groups.Add(stream.Build());
                    stream = new GroupBuilder($"{path}.downsample").Producer($"{path}.downsample.0", $"{path}.downsample.1");
                }

                stream.Producer($"{path}.conv{last}", $"{path}.bn{last}");
            }

            foreach (var reader in readersAfter(layer))
            {
                stream.Consumer(reader.Module, reader.Offset);
            }
        }

        groups.Add(stream.Build());
        return groups;
    }

    private static List<ChannelGroup> MobileNetV2(Dictionary<string, nn.Module> children)
    {
        var head = ModuleTree.Leaves(children["classifier"], "classifier").First(l => l.Module is Linear).Name;
        var features = children["features"].named_children().ToList();
        return InvertedResiduals(features, "features.", i => i == features.Count - 1 ? [new ChannelConsumer(head)] : []);
    }

    /// <summary>
    /// A MobileNetV2/V3 feature stack (<paramref name="features"/>: TorchVision's <c>features</c> children, paths
    /// under <paramref name="prefix"/>): plain conv-BN-activation items start a new stream; an inverted residual's
    /// expansion is a group with the depthwise convolution after it (its squeeze-excitation reads those channels
    /// and its second convolution scales them, so it is a producer of the same group; the squeeze channels are a
    /// group of their own); without an expansion the depthwise convolution (and excitation) follows the stream;
    /// blocks that keep their shape add to the stream of the block before. The stream leaving item <i>i</i> is also
    /// read by <paramref name="readersAfter"/>(<i>i</i>).
    /// </summary>
    internal static List<ChannelGroup> InvertedResiduals(IReadOnlyList<(string name, nn.Module module)> features, string prefix, Func<int, IEnumerable<ChannelConsumer>> readersAfter)
    {
        var groups = new List<ChannelGroup>();
        GroupBuilder? stream = null;
        for (var k = 0; k < features.Count; k++)
        {
            var (index, item) = features[k];
            var leaves = ModuleTree.Leaves(item, $"{prefix}{index}").ToList();
            string? NormAfter(string conv) => leaves.ElementAtOrDefault(leaves.FindIndex(l => l.Name == conv) + 1) is { Module: BatchNorm2d } n ? n.Name : null;
            var convs = leaves.Where(l => l.Module is Conv2d && NormAfter(l.Name) is not null).ToList();
            if (!item.GetType().Name.Contains("InvertedResidual", StringComparison.Ordinal))
            {
                // A plain conv-BN-activation (the stem, the last 1×1): it reads the stream and starts a new one.
                if (stream is not null)
                {
                    groups.Add(stream.Consumer(convs[0].Name).Build());
                }

                stream = new GroupBuilder(convs[0].Name).Producer(convs[0].Name, NormAfter(convs[0].Name));
            }
            else
            {
                // Squeeze-excitation: convolutions without a BatchNorm after them (reduce, then expand back).
                var excitation = leaves.Where(l => l.Module is Conv2d && NormAfter(l.Name) is null).Select(l => l.Name).ToList();
                var first = (Conv2d)convs[0].Module;
                var project = convs[^1].Name;
                var expansion = ModuleTree.IsDepthwise(first) ? stream! : new GroupBuilder(convs[0].Name).Producer(convs[0].Name, NormAfter(convs[0].Name));
                var depthwise = ModuleTree.IsDepthwise(first) ? convs[0].Name : convs[1].Name;
                expansion.Depthwise(depthwise, NormAfter(depthwise)).Consumer(project);
                if (excitation.Count == 2)
                {
                    expansion.Consumer(excitation[0]).Producer(excitation[1], null);
                    groups.Add(new GroupBuilder(excitation[0]).Producer(excitation[0], null).Consumer(excitation[1]).Build());
                }

                if (!ModuleTree.IsDepthwise(first))
                {
                    stream!.Consumer(convs[0].Name);
                    groups.Add(expansion.Build());
                }

                var residual = convs.All(c => ((Conv2d)c.Module).stride.All(s => s == 1)) && first.in_channels == ((Conv2d)convs[^1].Module).out_channels;
                if (!residual)
                {
                    groups.Add(stream!.Build());
                    stream = new GroupBuilder(project);
                }

                stream!.Producer(project, NormAfter(project));
            }

            foreach (var reader in readersAfter(k))
            {
                stream.Consumer(reader.Module, reader.Offset);
            }
        }

        groups.Add(stream!.Build());
        return groups;
    }

    /// <summary>Collects one group's members while a network is walked.</summary>
    internal sealed class GroupBuilder(string name)
    {
        private readonly List<string> producers = [];
        private readonly List<string> norms = [];
        private readonly List<string> depthwise = [];
        private readonly List<ChannelConsumer> consumers = [];

        public GroupBuilder Producer(string conv, string? norm)
        {
            producers.Add(conv);
            if (norm is not null)
            {
                norms.Add(norm);
            }

            return this;
        }

        public GroupBuilder Depthwise(string conv, string? norm)
        {
            depthwise.Add(conv);
            if (norm is not null)
            {
                norms.Add(norm);
            }

            return this;
        }

        public GroupBuilder Consumer(string module, int offset = 0)
        {
            consumers.Add(new ChannelConsumer(module, offset));
            return this;
        }

        public ChannelGroup Build() => new(name, producers.ToArray(), norms.ToArray(), depthwise.ToArray(), consumers.ToArray());
    }
}
