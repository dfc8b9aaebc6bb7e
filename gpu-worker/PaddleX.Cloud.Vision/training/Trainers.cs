namespace PaddleX.Cloud.Vision.Training;

/// <summary>Maps a PaddleX task type to its trainer (the seam detection and segmentation plug into).</summary>
public static class Trainers
{
    /// <summary>Task types with a trainer in this engine.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["classification"];

    /// <exception cref="NotSupportedException">the task type has no trainer yet.</exception>
    public static ITrainer For(string taskType) => taskType switch
    {
        "classification" => new ClassificationTrainer(),
        _ => throw new NotSupportedException(
            $"No trainer for task type '{taskType}' yet. Supported: {string.Join(", ", Supported)}."),
    };
}
