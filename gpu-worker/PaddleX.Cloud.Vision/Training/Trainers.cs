namespace PaddleX.Cloud.Vision.Training;

/// <summary>Maps a PaddleX task type to its trainer.</summary>
public static class Trainers
{
    /// <summary>Task types with a trainer in this engine.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["classification", "detection", "segmentation", "remote_segmentation"];

    /// <exception cref="NotSupportedException">the task type has no trainer yet.</exception>
    public static ITrainer For(string taskType) => taskType switch
    {
        "classification" => new ClassificationTrainer(),
        "detection" => new Detection.Training.DetectionTrainer(),
        "segmentation" => new SegmentationTrainer(),
        "remote_segmentation" => new SegmentationTrainer(remoteSensing: true),
        _ => throw new NotSupportedException(
            $"No trainer for task type '{taskType}' yet. Supported: {string.Join(", ", Supported)}."),
    };
}
