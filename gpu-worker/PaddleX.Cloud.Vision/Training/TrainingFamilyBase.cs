using PaddleX.Cloud.Vision.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>The batching every family does the same way: a shuffled, augmented, drop-last training loader
/// (batch reduced to the training set and logged) and an in-order validation loader.</summary>
internal abstract class TrainingFamilyBase : ITrainingFamily<HostBatch>
{
    private BatchLoader? trainLoader;
    private BatchLoader? evalLoader;
    private BatchLoader? normLoader;

    public abstract string Task { get; }

    public abstract string BestMetric { get; }

    public abstract IReadOnlyList<string> Labels { get; }

    public abstract nn.Module<Tensor, Tensor> Model { get; }

    nn.Module IEvaluationFamily.Model => Model;

    public int TrainCount { get; private set; }

    public int ValCount { get; private set; }

    public int StepsPerEpoch => Train.BatchesPerEpoch;

    public bool CanEvaluate => evalLoader is not null;

    protected BatchLoader Train => trainLoader ?? throw new InvalidOperationException("loaders not set");

    protected BatchLoader Eval => evalLoader ?? throw new InvalidOperationException("no validation set");

    public IEnumerable<HostBatch> TrainEpoch(int epoch, CancellationToken cancellationToken, int firstBatch = 0) => Train.Epoch(epoch, cancellationToken, firstBatch);

    public abstract optim.Optimizer CreateOptimizer(TrainParams p);

    public abstract StepResult TrainStep(HostBatch batch, optim.Optimizer optimizer, Device device);

    public abstract EvalResult Evaluate(Device device, CancellationToken cancellationToken);

    /// <summary>Averages the statistics of up to <see cref="NormStatistics.MaxSamples"/> training images, without
    /// augmentation (as evaluation sees them), in an order that depends only on the seed and the epoch.</summary>
    public void RefreshNormStatistics(int epoch, Device device, CancellationToken cancellationToken)
    {
        if (normLoader is null)
        {
            return;
        }

        int batches = Math.Max(1, Math.Min(normLoader.BatchesPerEpoch, NormStatistics.MaxSamples / normLoader.BatchSize));
        var inputs = normLoader.Epoch(epoch, cancellationToken).Take(batches)
            .Select(b => torch.tensor(b.Data, [b.Count, b.Channels, b.Height, b.Width]).to(device));
        Model.train();
        NormStatistics.Refresh(Model, inputs, cancellationToken);
    }

    public abstract CheckpointState Describe(CheckpointState state);

    public abstract void CheckResume(string checkpoint, CheckpointState resumed);

    public virtual void Dispose() => Model.Dispose();

    /// <param name="minEvalBatch">validation batch when <c>eval_batch_size</c> is not set and the training batch is smaller.</param>
    protected void SetLoaders(ISampleSource train, ISampleSource? val, TrainParams p, TrainLogWriter log, int minEvalBatch)
    {
        if (train.Count == 0)
        {
            throw new InvalidDataException("train_list.txt is empty");
        }

        int batch = Math.Min(p.BatchSize, train.Count);
        if (batch < p.BatchSize)
        {
            log.Info($"batch_size {p.BatchSize} is larger than the {train.Count} training samples: using {batch}");
        }

        trainLoader = new BatchLoader(train, batch, shuffle: true, augment: true, dropLast: true,
            seed: p.Seed, decodeWorkers: p.DecodeWorkers, prefetchBatches: p.PrefetchBatches);
        evalLoader = val is null || val.Count == 0
            ? null
            : new BatchLoader(val, p.EvalBatchSize > 0 ? p.EvalBatchSize : Math.Max(batch, minEvalBatch), shuffle: false,
                augment: false, dropLast: false, seed: p.Seed, decodeWorkers: p.DecodeWorkers, prefetchBatches: p.PrefetchBatches);
        // Full batches only: a BatchNorm in training mode cannot take a single sample at 1×1 resolution.
        normLoader = new BatchLoader(train, batch, shuffle: true, augment: false, dropLast: true,
            seed: p.Seed + 1, decodeWorkers: p.DecodeWorkers, prefetchBatches: p.PrefetchBatches);
        TrainCount = train.Count;
        ValCount = val?.Count ?? 0;
    }
}
