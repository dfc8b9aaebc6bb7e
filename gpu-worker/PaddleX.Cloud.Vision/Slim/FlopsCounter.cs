using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Slim;

/// <summary>The complexity of a network at one input size. FLOPs are the multiply-accumulates of its
/// convolutions (deformable ones included) and fully connected layers (PaddleSlim's convention; normalisation, activations, pooling and
/// resizing are left out); parameters are every trainable value.</summary>
public readonly record struct Complexity(long Flops, long Parameters);

/// <summary>
/// Counts FLOPs and parameters of a network by running it once at the input size, and predicts them for a
/// planned set of kept channel counts without pruning (the ratio search asks many times).
/// </summary>
public sealed class FlopsCounter
{
    private readonly List<Layer> layers = [];
    private readonly long otherParameters;

    /// <param name="inChannels">input bands; <paramref name="width"/> × <paramref name="height"/> the training input size.</param>
    public FlopsCounter(nn.Module model, int inChannels, int width, int height)
    {
        var spatial = new Dictionary<string, long>(StringComparer.Ordinal);
        var hooks = new List<HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover>();
        var names = ModuleTree.ByName(model);
        foreach (var (name, module) in names)
        {
            if (module is nn.Module<Tensor, Tensor> conv and (TorchSharp.Modules.Conv2d or IPrunableConvolution))
            {
                var key = name;
                hooks.Add(conv.register_forward_hook((_, _, output) =>
                {
                    spatial[key] = spatial.GetValueOrDefault(key) + (output.shape[2] * output.shape[3]);
                    return output;
                }));
            }
        }

        var wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var device = model.parameters().First().device;
            ModuleTree.Forward(model, zeros([1, inChannels, height, width], device: device));
        }
        finally
        {
            hooks.ForEach(h => h.remove());
            model.train(wasTraining);
        }

        long counted = 0;
        foreach (var (name, module) in names)
        {
            switch (module)
            {
                case Conv2d conv:
                    layers.Add(new Layer(name, conv.in_channels, conv.out_channels, conv.groups, conv.kernel_size.Aggregate(1L, (a, b) => a * b), spatial.GetValueOrDefault(name), conv.bias is not null, false));
                    counted += Numel(conv);
                    break;
                case IPrunableConvolution other:
                    // A deformable convolution: its multiply-accumulates are a convolution's (the sampling is not counted).
                    var w = other.Weight;
                    layers.Add(new Layer(name, w.shape[1], w.shape[0], 1, w.shape[2] * w.shape[3], spatial.GetValueOrDefault(name), other.Bias is not null, false));
                    counted += Numel(module);
                    break;
                case Linear linear:
                    layers.Add(new Layer(name, linear.in_features, linear.out_features, 1, 1, 1, linear.bias is not null, false));
                    counted += Numel(linear);
                    break;
                case BatchNorm2d bn:
                    layers.Add(new Layer(name, bn.num_features, bn.num_features, 1, 0, 0, false, true));
                    counted += Numel(bn);
                    break;
            }
        }

        otherParameters = model.parameters().Sum(p => p.numel()) - counted;
        Current = Predict(new Dictionary<string, (ChannelGroup, int, int)>());
    }

    /// <summary>The network as it is now.</summary>
    public Complexity Current { get; }

    /// <summary>The complexity after pruning each group to a kept channel count (groups not named keep theirs).</summary>
    public Complexity Predict(IReadOnlyList<ChannelGroup> groups, IReadOnlyDictionary<string, int> channels, Func<ChannelGroup, int> current) =>
        Predict(groups.Where(g => channels.ContainsKey(g.Name)).ToDictionary(g => g.Name, g => (g, current(g), channels[g.Name]), StringComparer.Ordinal));

    private Complexity Predict(Dictionary<string, (ChannelGroup Group, int From, int To)> pruned)
    {
        var outputs = new Dictionary<string, long>(StringComparer.Ordinal);
        var inputsRemoved = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (group, from, to) in pruned.Values)
        {
            foreach (var m in group.Producers.Concat(group.Depthwise).Concat(group.Norms))
            {
                outputs[m] = to;
            }

            foreach (var c in group.Consumers)
            {
                inputsRemoved[c.Module] = inputsRemoved.GetValueOrDefault(c.Module) + (from - to);
            }
        }

        long flops = 0, parameters = otherParameters;
        foreach (var l in layers)
        {
            var output = outputs.GetValueOrDefault(l.Name, l.Out);
            if (l.Norm)
            {
                parameters += 2 * output;
                continue;
            }

            var depthwise = l.Groups > 1 && l.Groups == l.In && l.Groups == l.Out;
            var input = depthwise ? output : l.In - inputsRemoved.GetValueOrDefault(l.Name);
            var groups = depthwise ? output : l.Groups;
            var weights = output * (input / groups) * l.Kernel;
            parameters += weights + (l.Bias ? output : 0);
            flops += weights * l.Spatial;
        }

        return new Complexity(flops, parameters);
    }

    private static long Numel(nn.Module module) => module.parameters(recurse: false).Sum(p => p.numel());

    private sealed record Layer(string Name, long In, long Out, long Groups, long Kernel, long Spatial, bool Bias, bool Norm);
}
