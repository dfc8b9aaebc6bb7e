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

    /// <summary>Least time between progress writes to the metadata store.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(2);
}
