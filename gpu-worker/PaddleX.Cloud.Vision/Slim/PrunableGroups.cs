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
            return ResNet(children);
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

    private static List<ChannelGroup> ResNet(Dictionary<string, nn.Module> children)
    {
        var groups = new List<ChannelGroup>();
        var stream = new GroupBuilder("conv1");
        stream.Producer("conv1", "bn1");
        for (var layer = 1; children.TryGetValue($"layer{layer}", out var stage); layer++)
        {
            foreach (var (blockName, block) in stage.named_children())
            {
                var prefix = $"layer{layer}.{blockName}";
                var b = block.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
                var last = b.ContainsKey("conv3") ? 3 : 2;
                for (var i = 1; i < last; i++)
                {
                    groups.Add(new GroupBuilder($"{prefix}.conv{i}").Producer($"{prefix}.conv{i}", $"{prefix}.bn{i}").Consumer($"{prefix}.conv{i + 1}").Build());
                }

                stream.Consumer($"{prefix}.conv1");
                if (b.TryGetValue("downsample", out var down) && down.named_children().Any())
                {
                    stream.Consumer($"{prefix}.downsample.0");
                    groups.Add(stream.Build());
                    stream = new GroupBuilder($"{prefix}.downsample").Producer($"{prefix}.downsample.0", $"{prefix}.downsample.1");
                }

                stream.Producer($"{prefix}.conv{last}", $"{prefix}.bn{last}");
            }
        }

        groups.Add(stream.Consumer("fc").Build());
        return groups;
    }

    private static List<ChannelGroup> MobileNetV2(Dictionary<string, nn.Module> children)
    {
        var groups = new List<ChannelGroup>();
        GroupBuilder? stream = null;
        foreach (var (index, item) in children["features"].named_children())
        {
            var leaves = ModuleTree.Leaves(item, $"features.{index}").ToList();
            var convs = leaves.Where(l => l.Module is Conv2d).ToList();
            string NormAfter(string conv) => leaves[leaves.FindIndex(l => l.Name == conv) + 1].Name;
            if (!item.GetType().Name.Contains("InvertedResidual", StringComparison.Ordinal))
            {
                // A plain conv-BN-activation (the stem, the last 1×1): it reads the stream and starts a new one.
                if (stream is not null)
                {
                    groups.Add(stream.Consumer(convs[0].Name).Build());
                }

                stream = new GroupBuilder(convs[0].Name).Producer(convs[0].Name, NormAfter(convs[0].Name));
                continue;
            }

            var first = (Conv2d)convs[0].Module;
            var project = convs[^1].Name;
            if (ModuleTree.IsDepthwise(first))
            {
                stream!.Depthwise(convs[0].Name, NormAfter(convs[0].Name));
            }
            else
            {
                stream!.Consumer(convs[0].Name);
                groups.Add(new GroupBuilder(convs[0].Name).Producer(convs[0].Name, NormAfter(convs[0].Name))
                    .Depthwise(convs[1].Name, NormAfter(convs[1].Name)).Consumer(project).Build());
            }

            var residual = convs.All(c => ((Conv2d)c.Module).stride.All(s => s == 1)) && first.in_channels == ((Conv2d)convs[^1].Module).out_channels;
            if (ModuleTree.IsDepthwise(first))
            {
                stream.Consumer(project);
            }

            if (!residual)
            {
                groups.Add(stream.Build());
                stream = new GroupBuilder(project);
            }

            stream.Producer(project, NormAfter(project));
        }

        var head = ModuleTree.Leaves(children["classifier"], "classifier").First(l => l.Module is Linear).Name;
        groups.Add(stream!.Consumer(head).Build());
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
