using PaddleX.Cloud.Vision.Detection.Models.PPYolo;
using PaddleX.Cloud.Vision.Detection.Models.Rcnn;
using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models;

/// <summary>
/// Registry of the detection architectures and their backbones (PaddleX 2.1 names). Every detector it builds is a
/// TorchSharp module implementing <see cref="IDetector"/>. A backbone name ending in <c>_ssld</c> (PaddleX's
/// distilled ImageNet weights) builds the same network as the name without it.
/// </summary>
public static class DetectionModels
{
    /// <summary>One architecture: its backbones (the first is the default) and its constructor.</summary>
    private sealed record Entry(string[] Backbones, Func<string, int, DetectorOptions, IDetector> Create);

    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal)
    {
        [YoloV3.Name] = new([.. YoloV3.Backbones], YoloV3.Create),
        [PPYoloV1.Name] = new([.. PPYoloV1.Backbones], PPYoloV1.Create),
        [PPYoloTiny.Name] = new([.. PPYoloTiny.Backbones], PPYoloTiny.Create),
        [PPYoloV2.Name] = new([.. PPYoloV2.Backbones], PPYoloV2.Create),
        [nameof(FasterRCNN)] = new(
            [.. RcnnBackbones.Names.Where(n => !n.EndsWith("_ssld", StringComparison.Ordinal))],
            (backbone, classes, options) => new FasterRCNN(backbone, classes, options.WithFpn,
                Rcnn(options, options.WithFpn || !RcnnBackbones.SupportsC4(backbone)))),
        [nameof(MaskRCNN)] = new([.. MaskRCNN.Backbones], (backbone, classes, options) => new MaskRCNN(backbone, classes, Rcnn(options, fpn: true))),
    };

    /// <summary>Spellings PaddleX accepts for the same backbone.</summary>
    private static readonly Dictionary<string, string> BackboneAliases = new(StringComparer.Ordinal)
    {
        ["MobileNetV3_large"] = "MobileNetV3",
    };

    public static IReadOnlyList<string> Architectures => Entries.Keys.ToArray();

    public static bool IsKnown(string architecture) => Entries.ContainsKey(architecture);

    /// <summary>The backbones <paramref name="architecture"/> builds (canonical names), the default first.</summary>
    public static IReadOnlyList<string> Backbones(string architecture) => Lookup(architecture).Backbones;

    /// <summary>The canonical backbone for a requested one (null or empty = the default); throws for an unknown pair.</summary>
    public static string ResolveBackbone(string architecture, string? backbone)
    {
        Entry entry = Lookup(architecture);
        if (string.IsNullOrWhiteSpace(backbone))
        {
            return entry.Backbones[0];
        }

        string name = backbone.Trim();
        if (entry.Backbones.Contains(name))
        {
            return name; // PP-YOLO's MobileNetV3_large is its own backbone, not YOLOv3's alias
        }

        name = BackboneAliases.GetValueOrDefault(name, name);
        if (name.EndsWith("_ssld", StringComparison.Ordinal) && !entry.Backbones.Contains(name))
        {
            name = name[..^"_ssld".Length];
            name = BackboneAliases.GetValueOrDefault(name, name);
        }

        return entry.Backbones.Contains(name)
            ? name
            : throw new ArgumentException($"{architecture} has no backbone '{backbone}'. Valid backbones: {string.Join(", ", entry.Backbones)} (also with _ssld).");
    }

    /// <summary>Builds the detector on the CPU; the result is an <see cref="nn.Module"/> (see <see cref="AsModule"/>).</summary>
    /// <exception cref="ArgumentException">unknown architecture or backbone (the message lists the valid ones), no classes.</exception>
    public static IDetector Create(string architecture, string? backbone, int numClasses, DetectorOptions? options = null)
    {
        if (numClasses < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "a detector needs at least 1 class");
        }

        return Lookup(architecture).Create(ResolveBackbone(architecture, backbone), numClasses, options ?? new DetectorOptions());
    }

    /// <summary>R-CNN settings the options change (null: the architecture's defaults).</summary>
    private static RcnnSettings? Rcnn(DetectorOptions options, bool fpn)
    {
        if (options.RcnnRoisPerImage <= 0 && options.RcnnFpnChannels <= 0 && options.RcnnMaskChannels <= 0)
        {
            return null;
        }

        RcnnSettings s = fpn ? new RcnnSettings() : RcnnSettings.ForC4;
        return s with
        {
            BoxBatchPerImage = options.RcnnRoisPerImage > 0 ? options.RcnnRoisPerImage : s.BoxBatchPerImage,
            FpnChannels = fpn && options.RcnnFpnChannels > 0 ? options.RcnnFpnChannels : s.FpnChannels,
            MaskHeadChannels = options.RcnnMaskChannels > 0 ? options.RcnnMaskChannels : s.MaskHeadChannels,
        };
    }

    /// <summary>The module behind a detector (parameters, state dict, train/eval mode, device).</summary>
    public static nn.Module AsModule(IDetector detector) =>
        detector as nn.Module ?? throw new InvalidOperationException($"{detector.Architecture} is not a TorchSharp module");

    private static Entry Lookup(string architecture) =>
        Entries.TryGetValue(architecture, out var entry)
            ? entry
            : throw new ArgumentException($"Unknown detection model '{architecture}'. Valid models: {string.Join(", ", Entries.Keys)}.");
}
