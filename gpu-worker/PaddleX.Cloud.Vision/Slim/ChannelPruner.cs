using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Slim;

/// <summary>
/// Removes channels of <see cref="ChannelGroup"/>s: by masking (sensitivity analysis: the pruned channels read
/// as zero, exactly what their removal gives the rest of the network) or physically (pruned retraining: smaller
/// tensors). Channels are ranked by the L1 norm of their filters, summed over the group's producers.
/// </summary>
public sealed class ChannelPruner
{
    // TorchSharp's convolutions expose their channel counts read-only and check every input against them, so a
    // physically pruned convolution needs them set; the pinned TorchSharp version is covered by the pruning tests.
    private static readonly FieldInfo InChannels = ConvField("in_channels");
    private static readonly FieldInfo OutChannels = ConvField("out_channels");
    private static readonly FieldInfo NumFeatures = typeof(NormBase).GetField("<num_features>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException(nameof(NormBase), "num_features");

    // TorchVision's squeeze-excitation checks its input against the channel count it was built for.
    private static readonly FieldInfo ExcitedChannels = typeof(torchvision.SqueezeExcitation).GetField("input_channels", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException(nameof(torchvision.SqueezeExcitation), "input_channels");

    private readonly Dictionary<string, nn.Module> modules;

    public ChannelPruner(nn.Module model, IReadOnlyList<ChannelGroup> groups)
    {
        modules = ModuleTree.ByName(model);
        Groups = groups;
        foreach (var name in groups.SelectMany(g => g.Producers.Concat(g.Norms).Concat(g.Depthwise).Concat(g.Consumers.Select(c => c.Module))))
        {
            if (!modules.ContainsKey(name))
            {
                throw new InvalidOperationException($"prunable group member {name} is not a module of the network");
            }
        }
    }

    public IReadOnlyList<ChannelGroup> Groups { get; }

    /// <summary>The current channel count of a group (its first producer's filters).</summary>
    public int Channels(ChannelGroup group) => (int)Weight(group.Producers[0]).shape[0];

    /// <summary>How many channels a ratio removes: rounded, at least one kept.</summary>
    public static int Removed(int channels, double ratio) => Math.Clamp((int)Math.Round(channels * ratio), 0, channels - 1);

    /// <summary>Kept channel counts of a pruned network are multiples of this where the group's own count is one.</summary>
    public const int ChannelMultiple = 8;

    /// <summary>
    /// How many channels pruning <paramref name="ratio"/> keeps, rounded to the nearest multiple of
    /// <see cref="ChannelMultiple"/> (at least one multiple, at most every channel) when the group has a multiple of
    /// it: vectorised CPU kernels (ONNX Runtime's depthwise and int8 convolutions, oneDNN's blocked layouts) work on
    /// 8 channels at a time, and a count off that grid ran slower than the unpruned network. Other groups keep
    /// the exact count. The planner predicts FLOPs with these counts, so its target holds after the rounding.
    /// </summary>
    public static int Kept(int channels, double ratio)
    {
        int kept = channels - Removed(channels, ratio);
        if (kept == channels || channels % ChannelMultiple != 0)
        {
            return kept;
        }

        return Math.Clamp((int)Math.Round(kept / (double)ChannelMultiple, MidpointRounding.AwayFromZero) * ChannelMultiple, ChannelMultiple, channels);
    }

    /// <summary>The indices of the <paramref name="keep"/> channels with the largest filter L1 norms, ascending.</summary>
    public long[] Strongest(ChannelGroup group, int keep)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor importance = zeros(Channels(group));
        foreach (var producer in group.Producers)
        {
            var w = Weight(producer);
            importance = importance + w.detach().abs().reshape(w.shape[0], -1).sum(1).cpu().to_type(ScalarType.Float32);
        }

        return importance.argsort(descending: true).narrow(0, 0, keep).sort().Values.data<long>().ToArray();
    }

    /// <summary>Zeroes the weakest channels of a group (BatchNorm scale and shift, filters and biases of producers
    /// without one) until the returned scope is disposed, which restores them.</summary>
    public IDisposable Mask(ChannelGroup group, double ratio)
    {
        var channels = Channels(group);
        var keep = Strongest(group, channels - Removed(channels, ratio));
        var saved = new List<(Tensor Target, Tensor Copy)>();
        using var noGrad = no_grad();
        using var mask = ones(channels);
        mask.index_fill_(0, tensor(Enumerable.Range(0, channels).Select(i => (long)i).Except(keep).ToArray()), 0);
        void Zero(Tensor? target)
        {
            if (target is null)
            {
                return;
            }

            saved.Add((target, target.detach().clone()));
            using var m = mask.to(target.device).to_type(target.dtype).reshape([target.shape[0], .. Enumerable.Repeat(1L, (int)target.dim() - 1)]);
            target.mul_(m);
        }

        foreach (var norm in group.Norms)
        {
            var bn = Norm(norm);
            Zero(bn.weight);
            Zero(bn.bias);
        }

        foreach (var producer in group.Producers.Concat(group.Depthwise))
        {
            Zero(Weight(producer));
            Zero(Bias(producer));
        }

        return new Restore(saved);
    }

    /// <summary>Physically prunes every group in <paramref name="keep"/> (group name → kept channel indices) at
    /// once: producers, norms and depthwise convolutions lose output channels, consumers the matching inputs.</summary>
    public void Shrink(IReadOnlyDictionary<string, long[]> keep)
    {
        var byConsumer = new Dictionary<string, List<(int Offset, int Channels, long[] Keep)>>(StringComparer.Ordinal);
        foreach (var group in Groups.Where(g => keep.ContainsKey(g.Name)))
        {
            var k = keep[group.Name];
            var channels = Channels(group);
            foreach (var c in group.Consumers)
            {
                (byConsumer.TryGetValue(c.Module, out var list) ? list : byConsumer[c.Module] = []).Add((c.Offset, channels, k));
            }

            using var index = tensor(k);
            foreach (var producer in group.Producers)
            {
                if (modules[producer] is IPrunableConvolution other)
                {
                    other.Weight = Select(other.Weight, 0, index);
                    other.Bias = other.Bias is null ? null : Select(other.Bias, 0, index);
                    continue;
                }

                var conv = Conv(producer);
                conv.weight = Select(conv.weight!, 0, index);
                conv.bias = conv.bias is null ? null : Select(conv.bias, 0, index);
                OutChannels.SetValue(conv, (long)k.Length);
                // Only the excitation's second convolution writes the channels it scales; its first one writes the
                // squeeze channels, a group of their own.
                if (producer.LastIndexOf('.') is var dot and > 0 && producer[(dot + 1)..] == "fc2"
                    && modules.GetValueOrDefault(producer[..dot]) is torchvision.SqueezeExcitation excitation)
                {
                    ExcitedChannels.SetValue(excitation, (long)k.Length);
                }
            }

            foreach (var name in group.Depthwise)
            {
                var conv = Conv(name);
                conv.weight = Select(conv.weight!, 0, index);
                conv.bias = conv.bias is null ? null : Select(conv.bias, 0, index);
                OutChannels.SetValue(conv, (long)k.Length);
                InChannels.SetValue(conv, (long)k.Length);
                conv.groups = k.Length;
            }

            foreach (var name in group.Norms)
            {
                var bn = Norm(name);
                if (bn.weight is { } scale && bn.bias is { } shift)
                {
                    bn.weight = Select(scale, 0, index);
                    bn.bias = Select(shift, 0, index);
                }

                using (no_grad())
                {
                    if (bn.running_mean is { } mean && bn.running_var is { } variance)
                    {
                        bn.running_mean = mean.index_select(0, index.to(mean.device)).detach();
                        bn.running_var = variance.index_select(0, index.to(variance.device)).detach();
                    }
                }

                NumFeatures.SetValue(bn, (long)k.Length);
            }
        }

        foreach (var (name, segments) in byConsumer)
        {
            var module = modules[name];
            var width = module switch
            {
                Conv2d c => c.in_channels,
                Linear l => l.in_features,
                IPrunableConvolution other => other.Weight.shape[1],
                _ => throw new InvalidOperationException($"consumer {name} is a {module.GetType().Name}, not a convolution or a linear layer"),
            };
            var kept = Enumerable.Range(0, (int)width).Where(i =>
                segments.All(s => i < s.Offset || i >= s.Offset + s.Channels || s.Keep.Contains(i - s.Offset))).Select(i => (long)i).ToArray();
            using var index = tensor(kept);
            if (module is Conv2d reader)
            {
                reader.weight = Select(reader.weight!, 1, index);
                InChannels.SetValue(reader, (long)kept.Length);
            }
            else if (module is Linear fc)
            {
                fc.weight = Select(fc.weight!, 1, index);
                fc.in_features = kept.Length;
            }
            else if (module is IPrunableConvolution other)
            {
                other.Weight = Select(other.Weight, 1, index);
            }
        }
    }

    /// <summary>Prunes every group to the recorded channel counts, keeping the first channels (the weights that
    /// load next replace them); groups already at their count are left alone, so it can run twice.</summary>
    public void ShrinkTo(IReadOnlyDictionary<string, int> channels)
    {
        var keep = Groups.Where(g => channels.TryGetValue(g.Name, out var n) && n < Channels(g))
            .ToDictionary(g => g.Name, g => Enumerable.Range(0, channels[g.Name]).Select(i => (long)i).ToArray(), StringComparer.Ordinal);
        if (keep.Count > 0)
        {
            Shrink(keep);
        }
    }

    private Conv2d Conv(string name) => modules[name] as Conv2d ?? throw new InvalidOperationException($"{name} is not a convolution");

    private Tensor Weight(string name) => modules[name] switch
    {
        Conv2d conv => conv.weight!,
        IPrunableConvolution other => other.Weight,
        _ => throw new InvalidOperationException($"{name} is not a convolution"),
    };

    private Tensor? Bias(string name) => modules[name] switch
    {
        Conv2d conv => conv.bias,
        IPrunableConvolution other => other.Bias,
        _ => throw new InvalidOperationException($"{name} is not a convolution"),
    };

    private BatchNorm2d Norm(string name) => modules[name] as BatchNorm2d ?? throw new InvalidOperationException($"{name} is not a BatchNorm2d");

    private static Parameter Select(Tensor source, int dim, Tensor index)
    {
        using var noGrad = no_grad();
        return new Parameter(source.index_select(dim, index.to(source.device)).detach().clone(), source.requires_grad);
    }

    private static FieldInfo ConvField(string property) =>
        typeof(Convolution).GetField($"<{property}>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException(nameof(Convolution), property);

    private sealed class Restore(List<(Tensor Target, Tensor Copy)> saved) : IDisposable
    {
        public void Dispose()
        {
            using var noGrad = no_grad();
            foreach (var (target, copy) in saved)
            {
                target.copy_(copy);
                copy.Dispose();
            }

            saved.Clear();
        }
    }
}
