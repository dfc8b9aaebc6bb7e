namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>Bound from the <c>Training</c> configuration section.</summary>
public sealed class TrainingOptions
{
    public const string Section = "Training";

    /// <summary>libtorch intra-op threads; 0 = one per core.</summary>
    public int TorchThreads { get; set; }

    /// <summary>Folder of named pretrained weights (e.g. <c>ResNet18_IMAGENET.pth</c>); default
    /// <c>pretrain/</c> in the workspace.</summary>
    public string? WeightsDirectory { get; set; }

    /// <summary>The operator's weights catalog, searched after the workspace's pretrain folder: an absolute folder, or
    /// an artifact-store prefix (e.g. <c>catalog</c>: blobs in the cloud). Naming: <c>{SET}/{Model}.{ext}</c>.</summary>
    public string? WeightsCatalog { get; set; }

    /// <summary>Least time between progress writes to the metadata store.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(2);
}
