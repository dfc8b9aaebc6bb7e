using PaddleX.Cloud.Vision.Data;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>Maps a PaddleX task type to its trainer.</summary>
public static class Trainers
{
    /// <summary>Task types with a trainer in this engine.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["classification", "detection", "instance_segmentation", "segmentation", "remote_segmentation"];

    /// <exception cref="NotSupportedException">the task type has no trainer yet.</exception>
    public static ITrainer For(string taskType) => taskType switch
    {
        "classification" => new ClassificationTrainer(),
        "detection" or "instance_segmentation" => new Detection.Training.DetectionTrainer(),
        "segmentation" => new SegmentationTrainer(),
        "remote_segmentation" => new SegmentationTrainer(remoteSensing: true),
        _ => throw new NotSupportedException(
            $"No trainer for task type '{taskType}' yet. Supported: {string.Join(", ", Supported)}."),
    };

    /// <summary>The family part of a task type, for work on a trained model outside a training run (sensitivity analysis).</summary>
    internal static ITrainingFamily<HostBatch> CreateFamily(string taskType, TrainParams p, string datasetDir, TrainLogWriter log) => taskType switch
    {
        "classification" => new ClassificationFamily(p, datasetDir, log),
        "segmentation" => new SegmentationFamily(p, datasetDir, log, remoteSensing: false),
        "remote_segmentation" => new SegmentationFamily(p, datasetDir, log, remoteSensing: true),
        _ => throw new NotSupportedException($"No trainer for task type '{taskType}' yet. Supported: {string.Join(", ", Supported)}."),
    };
}
