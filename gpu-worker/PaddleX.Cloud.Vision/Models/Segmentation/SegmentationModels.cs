using PaddleX.Cloud.Vision.Models.Backbones;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Models.Segmentation;

/// <summary>What a segmentation model accepts: its backbones (empty when it has no choice; the first is the
/// default) and the input-size rule (each side a multiple of <see cref="Multiple"/>, at least <see cref="MinSize"/>).</summary>
public sealed record SegmentationModelSpec(string Name, IReadOnlyList<string> Backbones, int Multiple, int MinSize);

/// <summary>
/// Registry of PaddleX 2.1's semantic segmentation networks. <see cref="Create"/> returns a module whose
/// <c>forward</c> maps [N, inChannels, H, W] to logits [N, numClasses, H, W] at the input size. The 1.x
/// spellings (<c>DeepLabv3+</c>, <c>U-Net</c>, <c>Unet</c>, <c>HRNet</c>) are accepted as aliases.
/// </summary>
public static class SegmentationModels
{
    private static readonly IReadOnlyDictionary<string, (SegmentationModelSpec Spec, Func<string?, int, int, nn.Module<Tensor, Tensor>> Create)> Registry =
        new Dictionary<string, (SegmentationModelSpec, Func<string?, int, int, nn.Module<Tensor, Tensor>>)>(StringComparer.Ordinal)
        {
            ["DeepLabV3P"] = (new("DeepLabV3P", ["ResNet50_vd", "ResNet101_vd"], 32, 64), (b, n, c) => new DeepLabV3P(n, c, b == "ResNet101_vd" ? 101 : 50)),
            ["UNet"] = (new("UNet", [], 16, 32), (_, n, c) => new UNet(n, c)),
            ["HRNet_W18"] = (new("HRNet_W18", [], 32, 64), (_, n, c) => new HRNetW18(n, c)),
            ["FastSCNN"] = (new("FastSCNN", [], 32, 64), (_, n, c) => new FastSCNN(n, c)),
            ["BiSeNetV2"] = (new("BiSeNetV2", [], 32, 64), (_, n, c) => new BiSeNetV2(n, c)),
        };

    private static readonly IReadOnlyDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["DeepLabv3+"] = "DeepLabV3P",
        ["U-Net"] = "UNet",
        ["Unet"] = "UNet",
        ["HRNet"] = "HRNet_W18",
    };

    /// <summary>The canonical model names, in PaddleX's order.</summary>
    public static IReadOnlyList<string> Names { get; } = Registry.Keys.ToArray();

    /// <summary>True for a canonical name or an accepted alias.</summary>
    public static bool IsKnown(string name) => Registry.ContainsKey(Canonical(name));

    /// <summary>The canonical name for <paramref name="name"/> (aliases mapped; anything else unchanged).</summary>
    public static string Canonical(string name) => Aliases.TryGetValue(name, out var canonical) ? canonical : name;

    /// <summary>The backbones, default first, and input-size rule of a model (alias accepted).</summary>
    /// <exception cref="ArgumentException">unknown model (the message lists the valid ones).</exception>
    public static SegmentationModelSpec Spec(string name) => Entry(name).Spec;

    /// <summary>The backbones <paramref name="model"/> accepts (empty: it has no backbone choice).</summary>
    public static IReadOnlyList<string> Backbones(string model) => Spec(model).Backbones;

    /// <summary>
    /// The backbone that will be built: the default when none is given, the given one when valid. A model
    /// without a backbone choice ignores the argument (PaddleX's parameters carry a backbone for every
    /// segmentation model).
    /// </summary>
    /// <exception cref="ArgumentException">a backbone the model does not have (the message lists the valid ones).</exception>
    public static string? ResolveBackbone(string model, string? backbone)
    {
        var spec = Spec(model);
        if (spec.Backbones.Count == 0)
        {
            return null;
        }

        if (string.IsNullOrEmpty(backbone))
        {
            return spec.Backbones[0];
        }

        return spec.Backbones.Contains(backbone, StringComparer.Ordinal)
            ? backbone
            : throw new ArgumentException(
                $"Backbone '{backbone}' is not available for {spec.Name}. Valid backbones: {string.Join(", ", spec.Backbones)}.", nameof(backbone));
    }

    /// <summary>Checks an input size against the model's rule.</summary>
    /// <exception cref="ArgumentException">a side below the minimum or not a multiple of the model's stride.</exception>
    public static void CheckInputSize(string model, long width, long height)
    {
        var spec = Spec(model);
        if (width < spec.MinSize || height < spec.MinSize || width % spec.Multiple != 0 || height % spec.Multiple != 0)
        {
            throw new ArgumentException(
                $"{spec.Name} needs an input whose width and height are multiples of {spec.Multiple} and at least {spec.MinSize}; got {width}×{height}.");
        }
    }

    /// <summary>Builds the model on the CPU in train mode.</summary>
    /// <exception cref="ArgumentException">unknown model or backbone (listing the valid ones), fewer than 2 classes or no input channel.</exception>
    public static nn.Module<Tensor, Tensor> Create(string model, string? backbone, int numClasses, int inChannels = 3)
    {
        var (_, create) = Entry(model);
        var resolved = ResolveBackbone(model, backbone);
        if (numClasses < 2)
        {
            throw new ArgumentException($"segmentation needs at least 2 classes (background included); got {numClasses}", nameof(numClasses));
        }

        if (inChannels < 1)
        {
            throw new ArgumentException($"in_channels must be at least 1; got {inChannels}", nameof(inChannels));
        }

        return create(resolved, numClasses, inChannels);
    }

    private static (SegmentationModelSpec Spec, Func<string?, int, int, nn.Module<Tensor, Tensor>> Create) Entry(string name) =>
        Registry.TryGetValue(Canonical(name), out var entry)
            ? entry
            : throw new ArgumentException(
                $"Unknown segmentation model '{name}'. Valid models: {string.Join(", ", Names)}.", nameof(name));
}
