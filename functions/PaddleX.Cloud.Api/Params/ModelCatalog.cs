namespace PaddleX.Cloud.Api.Params;

/// <summary>The model names a task may name, per project type. Classification names are the ones
/// the TorchSharp engine builds.</summary>
public static class ModelCatalog
{
    private static readonly Dictionary<string, string[]> Models = new(StringComparer.Ordinal)
    {
        ["classification"] = ["MobileNetV2", "MobileNetV3_small", "MobileNetV3_large", "ResNet18", "ResNet34", "ResNet50"],
        ["detection"] = ["YOLOv3", "FasterRCNN", "PPYOLO", "PPYOLOTiny", "PPYOLOv2"],
        ["instance_segmentation"] = ["MaskRCNN"],
        ["segmentation"] = ["DeepLabV3P", "UNet", "HRNet_W18", "FastSCNN", "BiSeNetV2"],
        ["remote_segmentation"] = ["DeepLabV3P", "UNet", "HRNet_W18", "FastSCNN", "BiSeNetV2"],
    };

    public static IReadOnlyList<string> For(string projectType) => Models.GetValueOrDefault(projectType) ?? [];
}
