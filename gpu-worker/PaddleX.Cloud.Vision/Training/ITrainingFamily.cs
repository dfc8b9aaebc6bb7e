using PaddleX.Cloud.Vision.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>
/// What a task family offers on a model outside a training run (the sensitivity analysis evaluates a trained
/// model through it): the network, its validation and the metric that ranks it.
/// </summary>
internal interface IEvaluationFamily : IDisposable
{
    /// <summary>The task type written into checkpoints (<c>classification</c>, <c>segmentation</c>, <c>detection</c>).</summary>
    string Task { get; }

    /// <summary>The validation metric that selects <c>best_model/</c> (higher is better).</summary>
    string BestMetric { get; }

    IReadOnlyList<string> Labels { get; }

    int ValCount { get; }

    bool CanEvaluate { get; }

    nn.Module Model { get; }

    /// <summary>Validation metrics (scalars for checkpoints and charts), the fields of the <c>[EVAL]</c> log line,
    /// and the <c>eval_details.json</c> content the offline evaluation reads.</summary>
    EvalResult Evaluate(Device device, CancellationToken cancellationToken);

    /// <summary>Adds the family's own fields (input shape, normalisation, channels, backbone) to a checkpoint state.</summary>
    CheckpointState Describe(CheckpointState state);
}

/// <summary>
/// What a task family adds to the shared <see cref="TrainingLoop"/>: its data, model, optimiser, loss and step,
/// validation metrics and the metric that picks the best model. Built once per run, after the seed is set, so
/// model initialisation is reproducible.
/// </summary>
/// <typeparam name="TBatch">the family's batch (pixels and labels for classification and segmentation, pictures and
/// boxes for detection); the loop only counts them.</typeparam>
internal interface ITrainingFamily<TBatch> : IEvaluationFamily
    where TBatch : ITrainingBatch
{
    int TrainCount { get; }

    int StepsPerEpoch { get; }

    /// <summary>The training batches of one epoch (shuffled and augmented deterministically per seed and epoch).</summary>
    IEnumerable<TBatch> TrainEpoch(int epoch, CancellationToken cancellationToken, int firstBatch = 0);

    optim.Optimizer CreateOptimizer(TrainParams p);

    /// <summary>One optimisation step; every tensor it creates is disposed before it returns.</summary>
    StepResult TrainStep(TBatch batch, optim.Optimizer optimizer, Device device);

    /// <summary>Before an evaluation or checkpoint: re-estimates the network's BatchNorm statistics for its current
    /// weights (<see cref="NormStatistics"/>). Families without BatchNorm, or whose batches the network cannot run
    /// alone, keep the statistics of training.</summary>
    void RefreshNormStatistics(int epoch, Device device, CancellationToken cancellationToken)
    {
    }

    /// <summary>Throws when a checkpoint to resume from does not fit this run (other model or classes).</summary>
    void CheckResume(string checkpoint, CheckpointState resumed);
}

/// <summary>What the training loop needs of a batch: its position in the epoch and its size.</summary>
public interface ITrainingBatch
{
    int Index { get; }

    int Count { get; }
}

/// <summary>Loss and per-batch training metrics of one step.</summary>
internal sealed record StepResult(double Loss, IReadOnlyDictionary<string, double> Metrics);

/// <summary>The outcome of one validation pass.</summary>
internal sealed record EvalResult(
    Dictionary<string, double> Metrics,
    IReadOnlyList<KeyValuePair<string, string>> LogFields,
    object Details);
