using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Slim;

/// <summary>Module lookups by <c>named_modules</c> path, shared by the group declarations and the pruner.</summary>
internal static class ModuleTree
{
    /// <summary>Every module by its dotted path (the root is "").</summary>
    public static Dictionary<string, nn.Module> ByName(nn.Module model)
    {
        var map = new Dictionary<string, nn.Module>(StringComparer.Ordinal) { [""] = model };
        foreach (var (name, module) in model.named_modules())
        {
            map[name] = module;
        }

        return map;
    }

    /// <summary>Leaf modules below <paramref name="module"/> in execution (registration, depth-first) order,
    /// with their full paths; <c>named_modules</c> itself is breadth-first.</summary>
    public static IEnumerable<(string Name, nn.Module Module)> Leaves(nn.Module module, string prefix)
    {
        var children = module.named_children().ToList();
        if (children.Count == 0)
        {
            yield return (prefix, module);
            yield break;
        }

        foreach (var (name, child) in children)
        {
            foreach (var leaf in Leaves(child, prefix.Length == 0 ? name : $"{prefix}.{name}"))
            {
                yield return leaf;
            }
        }
    }

    /// <summary>Runs a network whose forward takes one image tensor (classifiers and segmenters return one tensor,
    /// detectors one per output level); the outputs are left to the caller's dispose scope.</summary>
    public static void Forward(nn.Module model, Tensor input)
    {
        switch (model)
        {
            case nn.Module<Tensor, Tensor> single:
                single.call(input);
                break;
            case nn.Module<Tensor, Tensor[]> levels:
                levels.call(input);
                break;
            default:
                throw new NotSupportedException($"{model.GetType().Name} does not take one image tensor");
        }
    }

    public static bool IsDepthwise(Conv2d conv) => conv.groups > 1 && conv.groups == conv.in_channels && conv.groups == conv.out_channels;
}
