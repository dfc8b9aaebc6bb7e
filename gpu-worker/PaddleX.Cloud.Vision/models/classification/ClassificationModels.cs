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

    /// <summary>The exact model names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = Constructors.Keys.ToArray();

    public static bool IsKnown(string name) => Constructors.ContainsKey(name);

    /// <summary>Builds the named model on the CPU with a fresh head of <paramref name="numClasses"/> outputs.</summary>
    /// <exception cref="ArgumentException">unknown name (the message lists the valid ones) or fewer than 2 classes.</exception>
    public static nn.Module<Tensor, Tensor> Create(string name, int numClasses)
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

        return create(numClasses);
    }
}
