using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Models.Classification;

/// <summary>
/// Registry of the PaddleX classification model names → TorchVision-based constructors with a
/// <c>num_classes</c> head. Every model accepts any input of at least 32×32 pixels (global average pooling).
/// </summary>
public static class ClassificationModels
{
    /// <summary>Smallest input side the networks accept (five stride-2 stages).</summary>
    public const int MinInputSize = 32;

    private static readonly IReadOnlyDictionary<string, Func<int, nn.Module<Tensor, Tensor>>> Constructors =
        new Dictionary<string, Func<int, nn.Module<Tensor, Tensor>>>(StringComparer.Ordinal)
        {
            ["MobileNetV2"] = n => torchvision.models.mobilenet_v2(num_classes: n),
            ["MobileNetV3_small"] = n => new MobileNetV3Classifier("MobileNetV3_small", torchvision.models.mobilenet_v3_small(), n),
            ["MobileNetV3_large"] = n => new MobileNetV3Classifier("MobileNetV3_large", torchvision.models.mobilenet_v3_large(), n),
            ["ResNet18"] = n => torchvision.models.resnet18(num_classes: n),
            ["ResNet34"] = n => torchvision.models.resnet34(num_classes: n),
            ["ResNet50"] = n => torchvision.models.resnet50(num_classes: n),
        };

    /// <summary>
    /// The ResNet18 layout of the packaged ImageNet weights (a CNTK export): torchvision's ResNet18 with a third
    /// residual block in the last stage (stages of 2, 2, 2, 3 blocks). Recorded in checkpoints (<c>layout</c>) so
    /// evaluation, prediction, export and resume rebuild the same network.
    /// </summary>
    public const string CntkLayout = "cntk";

    /// <summary>The exact model names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = Constructors.Keys.ToArray();

    public static bool IsKnown(string name) => Constructors.ContainsKey(name);

    /// <summary>Builds the named model on the CPU with a fresh head of <paramref name="numClasses"/> outputs.</summary>
    /// <param name="layout">null for the standard network, or a variant such as <see cref="CntkLayout"/>.</param>
    /// <exception cref="ArgumentException">unknown name (the message lists the valid ones), unknown layout or fewer than 2 classes.</exception>
    public static nn.Module<Tensor, Tensor> Create(string name, int numClasses, string? layout = null)
    {
        if (!Constructors.TryGetValue(name, out var create))
        {
            throw new ArgumentException(
                $"Unknown classification model '{name}'. Valid models: {string.Join(", ", Names)}.", nameof(name));
        }

        if (numClasses < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "a classifier needs at least 2 classes");
        }

        if (layout is null)
        {
            return create(numClasses);
        }

        if (layout == CntkLayout && name == "ResNet18")
        {
            return new TorchSharp.Modules.ResNet(name, (inPlanes, planes, stride, downsample, _, _, _, norm) => new ResNetBasicBlock(inPlanes, planes, stride, downsample, norm),
                1, [2, 2, 2, 3], numClasses);
        }

        throw new ArgumentException($"Model {name} has no layout '{layout}'.", nameof(layout));
    }

    /// <summary>The layout a state dict (its tensor names) needs for <paramref name="name"/>: null for the standard one.</summary>
    public static string? LayoutOf(string name, IEnumerable<string> tensorNames) =>
        name == "ResNet18" && tensorNames.Contains("layer4.2.conv1.weight") ? CntkLayout : null;
}
