namespace PaddleX.Cloud.Api.Params;

/// <summary>The model names a task may name, per project type, with the backbones a model accepts.
/// The names are the ones the TorchSharp engine builds; the API does not load the engine, so the
/// segmentation aliases and the backbone lists repeat the engine registries' rules
/// (<c>SegmentationModels</c>, <c>DetectionModels</c>) and tests keep them equal.</summary>
public static class ModelCatalog
{
    private static readonly string[] Segmentation = ["DeepLabV3P", "UNet", "HRNet_W18", "FastSCNN", "BiSeNetV2"];

    private static readonly Dictionary<string, string[]> Models = new(StringComparer.Ordinal)
    {
        ["classification"] = ["MobileNetV2", "MobileNetV3_small", "MobileNetV3_large", "ResNet18", "ResNet34", "ResNet50"],
        ["detection"] = ["YOLOv3", "FasterRCNN", "PPYOLO", "PPYOLOTiny", "PPYOLOv2"],
        ["instance_segmentation"] = ["MaskRCNN"],
        ["segmentation"] = Segmentation,
        ["remote_segmentation"] = Segmentation,
    };

    /// <summary>The original's 1.x spellings of segmentation models (and the web client's <c>U-Net</c>).</summary>
    private static readonly Dictionary<string, string> SegmentationAliases = new(StringComparer.Ordinal)
    {
        ["DeepLabv3+"] = "DeepLabV3P",
        ["U-Net"] = "UNet",
        ["Unet"] = "UNet",
        ["HRNet"] = "HRNet_W18",
    };

    /// <summary>Segmentation models with a backbone choice (the first is the default).</summary>
    private static readonly Dictionary<string, string[]> SegmentationBackbones = new(StringComparer.Ordinal)
    {
        ["DeepLabV3P"] = ["ResNet50_vd", "ResNet101_vd"],
    };

    /// <summary>Detection and instance segmentation models with their backbones (the first is the default), as
    /// PaddleX 2.1's constructors accept them. Its recommendation for PP-YOLO was <c>ResNet50_vd_ssld</c>, which the
    /// PPYOLO constructor rejects; here every default is a backbone its model builds.</summary>
    private static readonly Dictionary<string, string[]> DetectionBackbones = new(StringComparer.Ordinal)
    {
        ["YOLOv3"] = ["DarkNet53", "MobileNetV1", "MobileNetV1_ssld", "MobileNetV3", "MobileNetV3_ssld", "ResNet34"],
        ["PPYOLO"] = ["ResNet50_vd_dcn", "ResNet18_vd", "MobileNetV3_large", "MobileNetV3_small"],
        ["PPYOLOTiny"] = ["MobileNetV3"],
        ["PPYOLOv2"] = ["ResNet50_vd_dcn", "ResNet101_vd_dcn"],
        ["FasterRCNN"] = ["ResNet50", "ResNet50_vd", "ResNet50_vd_ssld", "ResNet34", "ResNet34_vd", "ResNet101", "ResNet101_vd", "HRNet_W18"],
        ["MaskRCNN"] = ["ResNet50", "ResNet50_vd", "ResNet50_vd_ssld", "ResNet101", "ResNet101_vd"],
    };

    public static IReadOnlyList<string> For(string projectType) => Models.GetValueOrDefault(projectType) ?? [];

    public static bool IsSegmentation(string projectType) => projectType is "segmentation" or "remote_segmentation";

    /// <summary>The name the engine knows for <paramref name="model"/>: segmentation aliases mapped, anything else unchanged.</summary>
    public static string Canonical(string projectType, string model) =>
        IsSegmentation(projectType) && SegmentationAliases.TryGetValue(model, out var canonical) ? canonical : model;

    /// <summary>The backbones <paramref name="model"/> accepts; empty when it has no choice (any value is ignored).</summary>
    public static IReadOnlyList<string> Backbones(string projectType, string model) => projectType switch
    {
        _ when IsSegmentation(projectType) => SegmentationBackbones.GetValueOrDefault(Canonical(projectType, model)) ?? [],
        "detection" or "instance_segmentation" => DetectionBackbones.GetValueOrDefault(model) ?? [],
        _ => [],
    };
}
