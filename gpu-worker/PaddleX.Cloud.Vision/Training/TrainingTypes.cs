using System.Text.Json.Serialization;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>Structured progress of one training step.</summary>
public sealed record TrainingProgress(
    int Epoch,
    int NumEpochs,
    int Step,
    int StepsPerEpoch,
    long GlobalStep,
    long TotalSteps,
    double Loss,
    double LearningRate,
    IReadOnlyDictionary<string, double> Metrics,
    double SecondsPerStep,
    double EtaSeconds);

/// <summary>One epoch of the training history (train means; validation metrics when evaluated).</summary>
public sealed record EpochRecord
{
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    [JsonPropertyName("loss")] public double Loss { get; init; }
    [JsonPropertyName("lr")] public double LearningRate { get; init; }
    [JsonPropertyName("train_metrics")] public Dictionary<string, double> TrainMetrics { get; init; } = [];
    [JsonPropertyName("eval_metrics")] public Dictionary<string, double>? EvalMetrics { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
}

/// <summary>How a run ended when it returns (failures are logged and rethrown).</summary>
public enum TrainingOutcome
{
    Completed,
    Cancelled,
}

/// <summary>The result of <see cref="ITrainer.Run"/>; <c>BestAcc1</c> is the best value of <c>BestMetric</c>.</summary>
public sealed record TrainingResult(
    TrainingOutcome Outcome,
    int LastEpoch,
    long GlobalStep,
    string OutputDir,
    string? BestModelDir,
    int BestEpoch,
    double BestAcc1,
    string PretrainStatus,
    IReadOnlyList<EpochRecord> History,
    string BestMetric = "acc1");

/// <summary>Everything a training run needs besides the cancellation token.</summary>
public sealed class TrainingRequest
{
    public required TrainParams Params { get; init; }

    /// <summary>Dataset folder with labels.txt, train_list.txt, val_list.txt.</summary>
    public required string DatasetDir { get; init; }

    /// <summary>The task's <c>output</c> folder (epoch_N/, best_model/, train_history.json).</summary>
    public required string OutputDir { get; init; }

    /// <summary>Receives the PaddleX-format log lines (e.g. the task's out.log); flushed per line.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Called after every training step.</summary>
    public Action<TrainingProgress>? OnStep { get; init; }

    /// <summary>Called after every epoch (after evaluation and saving).</summary>
    public Action<EpochRecord>? OnEpochEnd { get; init; }

    /// <summary>Called with every log line as written.</summary>
    public Action<string>? OnLogLine { get; init; }

    /// <summary>Asked when training is cancelled: true when the host is shutting down (the job goes back
    /// to the queue), so the loop saves <see cref="Checkpoints.InterruptedDir"/> for the next delivery to
    /// continue from. False or null (the user stopped the task): nothing more is saved.</summary>
    public Func<bool>? IsShuttingDown { get; init; }

    /// <summary>Clock for log timestamps (tests may pin it).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>The seam every task family implements (classification now; detection/segmentation later).</summary>
public interface ITrainer
{
    TrainingResult Run(TrainingRequest request, CancellationToken cancellationToken = default);
}
