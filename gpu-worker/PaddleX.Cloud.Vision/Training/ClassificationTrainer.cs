using PaddleX.Cloud.Vision.Data;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Vision.Metrics;
using PaddleX.Cloud.Vision.Models;
using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>
/// PaddleX-compatible image classification training on the shared <see cref="TrainingLoop"/>: Momentum SGD
/// (0.9, weight decay 1e-4), cross-entropy loss, top-1/top-k metrics, <c>best_model/</c> by validation top-1.
/// </summary>
public sealed class ClassificationTrainer : ITrainer
{
    public const string HistoryFile = TrainingLoop.HistoryFile;

    public TrainingResult Run(TrainingRequest request, CancellationToken cancellationToken = default) =>
        TrainingLoop.Run((p, datasetDir, log) => new ClassificationFamily(p, datasetDir, log), request, cancellationToken);

    /// <summary>One optimisation step on a host batch; every tensor it creates is disposed before it returns.</summary>
    public static (double Loss, double Acc1, double AccK) TrainStep(
        nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, nn.Module<Tensor, Tensor, Tensor> lossFn, HostBatch b, Device device, int topK)
    {
        using var scope = torch.NewDisposeScope();
        Tensor x = torch.tensor(b.Data, [b.Count, b.Channels, b.Height, b.Width]).to(device);
        Tensor y = torch.tensor(b.Labels).to(device);
        Tensor logits = model.call(x);
        Tensor loss = lossFn.call(logits, y);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        double lossValue = loss.item<float>();
        (double acc1, double accK) = BatchAccuracy(logits.detach(), y, topK);
        return (lossValue, acc1, accK);
    }

    /// <summary>Top-1 and top-k accuracy of one batch.</summary>
    public static (double Acc1, double AccK) BatchAccuracy(Tensor logits, Tensor labels, int k)
    {
        using var scope = torch.NewDisposeScope();
        var (_, idx) = logits.topk(k, dim: 1);
        Tensor hits = idx.eq(labels.unsqueeze(1));
        double acc1 = hits.narrow(1, 0, 1).to_type(ScalarType.Float32).mean().item<float>();
        double accK = hits.any(1).to_type(ScalarType.Float32).mean().item<float>();
        return (acc1, accK);
    }

    /// <summary>Evaluates on a loader under no_grad/eval mode; returns the report and eval_details.json content.</summary>
    public static (ClassificationReport Report, object Details) Evaluate(
        nn.Module<Tensor, Tensor> model, BatchLoader loader, IReadOnlyList<string> labels, Device device, CancellationToken ct)
    {
        var metrics = new ClassificationMetrics(labels, 5);
        var trueLabels = new List<long>();
        var scores = new List<float[]>();
        model.eval();
        using (torch.no_grad())
        {
            foreach (HostBatch b in loader.Epoch(0, ct))
            {
                using var scope = torch.NewDisposeScope();
                Tensor x = torch.tensor(b.Data, [b.Count, b.Channels, b.Height, b.Width]).to(device);
                Tensor prob = model.call(x).softmax(1).cpu();
                float[] flat = prob.data<float>().ToArray();
                metrics.AddBatch(b.Labels, flat);
                int c = labels.Count;
                for (int i = 0; i < b.Count; i++)
                {
                    trueLabels.Add(b.Labels[i]);
                    scores.Add(flat.AsSpan(i * c, c).ToArray());
                }
            }
        }

        model.train();
        var details = new Dictionary<string, object>
        {
            ["label_list"] = labels,
            ["true_labels"] = trueLabels,
            ["pred_scores"] = scores,
        };
        return (metrics.Report(), details);
    }
}

/// <summary>The classification part of a training run: list dataset, flips/rotation/colour augmentation, a
/// classifier from <see cref="ClassificationModels"/>, cross-entropy and top-1/top-k.</summary>
internal sealed class ClassificationFamily : TrainingFamilyBase
{
    private readonly TrainParams p;
    private readonly int topK;
    private readonly string accKName;
    private readonly string? layout;
    private readonly nn.Module<Tensor, Tensor, Tensor> lossFn = nn.CrossEntropyLoss();

    public ClassificationFamily(TrainParams p, string datasetDir, TrainLogWriter log)
    {
        this.p = p;
        if (!ClassificationModels.IsKnown(p.Model))
        {
            throw new ArgumentException($"Unknown classification model '{p.Model}'. Valid models: {string.Join(", ", ClassificationModels.Names)}.");
        }

        if (p.Width < ClassificationModels.MinInputSize || p.Height < ClassificationModels.MinInputSize)
        {
            throw new ArgumentException($"image_shape must be at least {ClassificationModels.MinInputSize}x{ClassificationModels.MinInputSize}");
        }

        Labels = ClassificationDataset.ReadLabels(datasetDir);
        ClassificationDataset train = ClassificationDataset.Load(datasetDir, "train_list.txt", Labels);
        ClassificationDataset? val = ClassificationDataset.TryLoad(datasetDir, "val_list.txt", Labels);
        var trainTransforms = new ClassificationTransforms(p.Width, p.Height, p.ImageMean, p.ImageStd, p.ToAugmentOptions());
        var evalTransforms = new ClassificationTransforms(p.Width, p.Height, p.ImageMean, p.ImageStd);
        SetLoaders(new ClassificationSource(train.Samples, trainTransforms), val is null ? null : new ClassificationSource(val.Samples, evalTransforms), p, log, minEvalBatch: 8);
        topK = Math.Min(5, Labels.Count);
        accKName = $"acc{topK}";
        // The pretrained weights decide the network variant (the ImageNet import is the `cntk` ResNet18);
        // a resumed run or a pruned retraining rebuilds the variant its checkpoint recorded.
        var checkpoint = string.IsNullOrWhiteSpace(p.ResumeCheckpoint) ? p.PruneCheckpoint : p.ResumeCheckpoint;
        layout = string.IsNullOrWhiteSpace(checkpoint)
            ? PretrainedWeights.LayoutFor(p.Model, p.PretrainWeights, p.PretrainDir, p.WeightsCatalog)
            : Checkpoints.ReadState(checkpoint).Layout;
        Model = ClassificationModels.Create(p.Model, Labels.Count, layout);
    }

    public override string Task => "classification";

    public override string BestMetric => "acc1";

    public override IReadOnlyList<string> Labels { get; }

    public override nn.Module<Tensor, Tensor> Model { get; }

    public override optim.Optimizer CreateOptimizer(TrainParams p) =>
        torch.optim.SGD(Model.parameters(), p.LearningRate, momentum: p.Momentum, weight_decay: p.WeightDecay);

    public override StepResult TrainStep(HostBatch batch, optim.Optimizer optimizer, Device device)
    {
        (double loss, double acc1, double accK) = ClassificationTrainer.TrainStep(Model, optimizer, lossFn, batch, device, topK);
        return new StepResult(loss, new Dictionary<string, double> { ["acc1"] = acc1, [accKName] = accK });
    }

    public override EvalResult Evaluate(Device device, CancellationToken cancellationToken)
    {
        (ClassificationReport report, object details) = ClassificationTrainer.Evaluate(Model, Eval, Labels, device, cancellationToken);
        var metrics = new Dictionary<string, double> { ["acc1"] = report.Acc1, [accKName] = report.AccK };
        return new EvalResult(metrics, metrics.Select(m => KeyValuePair.Create(m.Key, PaddleXLogFormat.F6(m.Value))).ToList(), details);
    }

    public override CheckpointState Describe(CheckpointState state) =>
        state with { Layout = layout, ImageShape = [p.Width, p.Height], ImageMean = p.ImageMean, ImageStd = p.ImageStd };

    public override void CheckResume(string checkpoint, CheckpointState resumed)
    {
        if (resumed.Model != p.Model || resumed.Labels.Length != Labels.Count)
        {
            throw new InvalidDataException($"checkpoint {checkpoint} is a {resumed.Model} with {resumed.Labels.Length} classes, not {p.Model} with {Labels.Count}");
        }
    }

    public override void Dispose()
    {
        lossFn.Dispose();
        base.Dispose();
    }
}
