using System.Globalization;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Vision.Data;
using PaddleX.Cloud.Vision.Metrics;
using PaddleX.Cloud.Vision.Models.Segmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>
/// Semantic segmentation training on the shared <see cref="TrainingLoop"/>: a network from
/// <see cref="SegmentationModels"/>, cross-entropy (+ Dice / BCE by <c>loss_type</c>) ignoring label 255, SGD
/// (momentum 0.9) or Adam, <c>best_model/</c> by validation mIoU. <paramref name="remoteSensing"/>: pictures
/// may be multi-band TIFFs; the model takes every band and each band is normalised with the mean and standard
/// deviation of the training images (recorded in the checkpoint).
/// </summary>
public sealed class SegmentationTrainer(bool remoteSensing = false) : ITrainer
{
    public TrainingResult Run(TrainingRequest request, CancellationToken cancellationToken = default) =>
        TrainingLoop.Run((p, datasetDir, log) => new SegmentationFamily(p, datasetDir, log, remoteSensing), request, cancellationToken);
}

/// <summary>The segmentation part of a training run.</summary>
internal sealed class SegmentationFamily : TrainingFamilyBase
{
    private readonly TrainParams p;
    private readonly string model;
    private readonly string? backbone;
    private readonly int channels;
    private readonly double[] mean;
    private readonly double[] std;
    private readonly SegmentationLoss loss;

    public SegmentationFamily(TrainParams p, string datasetDir, TrainLogWriter log, bool remoteSensing)
    {
        this.p = p;
        Task = remoteSensing ? "remote_segmentation" : "segmentation";
        model = SegmentationModels.Canonical(p.Model);
        _ = SegmentationModels.Spec(model);
        backbone = SegmentationModels.ResolveBackbone(model, p.Backbone);
        SegmentationModels.CheckInputSize(model, p.Width, p.Height);
        Labels = ClassificationDataset.ReadLabels(datasetDir);
        if (Labels.Count < 2)
        {
            throw new InvalidDataException($"labels.txt lists {Labels.Count} class; segmentation needs at least 2 (background included)");
        }

        SegmentationDataset train = SegmentationDataset.Load(datasetDir, "train_list.txt", Labels);
        SegmentationDataset? val = SegmentationDataset.TryLoad(datasetDir, "val_list.txt", Labels);

        if (remoteSensing)
        {
            (mean, std) = BandStatistics(train.Samples);
            channels = mean.Length;
            log.Info($"{channels} bands; normalisation from the training images (x/255 units): image_mean={Format(mean)}, image_std={Format(std)}");
        }
        else
        {
            (mean, std, channels) = (p.ImageMean, p.ImageStd, 3);
        }

        var trainTransforms = new SegmentationTransforms(p.Width, p.Height, channels, mean, std, p.ToAugmentOptions(), colourJitter: !remoteSensing);
        var evalTransforms = new SegmentationTransforms(p.Width, p.Height, channels, mean, std);
        SetLoaders(new SegmentationSource(train.Samples, trainTransforms, Labels.Count),
            val is null ? null : new SegmentationSource(val.Samples, evalTransforms, Labels.Count), p, log, minEvalBatch: 4);
        loss = SegmentationLoss.FromLossType(p.LossType);
        Model = SegmentationModels.Create(model, backbone, Labels.Count, channels);
    }

    public override string Task { get; }

    public override string BestMetric => "miou";

    public override IReadOnlyList<string> Labels { get; }

    public override nn.Module<Tensor, Tensor> Model { get; }

    public override optim.Optimizer CreateOptimizer(TrainParams p) => p.Optimizer.Trim().ToUpperInvariant() switch
    {
        "ADAM" => torch.optim.Adam(Model.parameters(), p.LearningRate, weight_decay: p.WeightDecay),
        "SGD" or "MOMENTUM" => torch.optim.SGD(Model.parameters(), p.LearningRate, momentum: p.Momentum, weight_decay: p.WeightDecay),
        _ => throw new ArgumentException($"Unknown optimizer '{p.Optimizer}'. Valid: SGD, Adam."),
    };

    public override StepResult TrainStep(HostBatch b, optim.Optimizer optimizer, Device device)
    {
        using var scope = torch.NewDisposeScope();
        Tensor x = torch.tensor(b.Data, [b.Count, b.Channels, b.Height, b.Width]).to(device);
        Tensor y = torch.tensor(b.Labels, [b.Count, b.Height, b.Width]).to(device);
        Tensor total;
        if (Model is IAuxiliaryHeads aux)
        {
            IReadOnlyList<Tensor> outputs = aux.ForwardWithAuxiliary(x);
            total = loss.Compute(outputs[0], y) * aux.LossWeights[0];
            for (int i = 1; i < outputs.Count; i++)
            {
                total = total + loss.Compute(outputs[i], y) * aux.LossWeights[i];
            }
        }
        else
        {
            total = loss.Compute(Model.call(x), y);
        }

        optimizer.zero_grad();
        total.backward();
        optimizer.step();
        return new StepResult(total.item<float>(), new Dictionary<string, double>());
    }

    public override EvalResult Evaluate(Device device, CancellationToken cancellationToken)
    {
        var metrics = new SegmentationMetrics(Labels);
        int classes = Labels.Count;
        Model.eval();
        using (torch.no_grad())
        {
            foreach (HostBatch b in Eval.Epoch(0, cancellationToken))
            {
                using var scope = torch.NewDisposeScope();
                Tensor x = torch.tensor(b.Data, [b.Count, b.Channels, b.Height, b.Width]).to(device);
                Tensor y = torch.tensor(b.Labels).to(device);
                Tensor pred = Model.call(x).argmax(1).flatten();
                Tensor valid = y.ne(SegmentationDataset.IgnoreLabel);
                Tensor index = y.masked_select(valid) * classes + pred.masked_select(valid);
                metrics.AddMatrix(index.bincount(null, classes * classes).cpu().data<long>().ToArray());
            }
        }

        Dictionary<string, double> scalars = metrics.Scalars();
        var fields = new List<KeyValuePair<string, string>>
        {
            new("miou", PaddleXLogFormat.F6(scalars["miou"])),
            new("category_iou", List(metrics.CategoryIoU())),
            new("oacc", PaddleXLogFormat.F6(scalars["oacc"])),
            new("category_acc", List(metrics.CategoryAcc())),
            new("kappa", PaddleXLogFormat.F6(scalars["kappa"])),
        };
        return new EvalResult(scalars, fields, metrics.Details());
    }

    public override CheckpointState Describe(CheckpointState state) => state with
    {
        Model = model,
        Backbone = backbone,
        InChannels = channels,
        ImageShape = [p.Width, p.Height],
        ImageMean = mean,
        ImageStd = std,
    };

    public override void CheckResume(string checkpoint, CheckpointState resumed)
    {
        if (resumed.Model != model || resumed.Labels.Length != Labels.Count || resumed.InChannels != channels)
        {
            throw new InvalidDataException($"checkpoint {checkpoint} is a {resumed.Model} with {resumed.Labels.Length} classes and {resumed.InChannels} bands, not {model} with {Labels.Count} and {channels}");
        }
    }

    /// <summary>Per-band mean and standard deviation of the training pictures, in x/255 units (so the usual
    /// <c>(x / 255 − mean) / std</c> normalises any bit depth).</summary>
    private static (double[] Mean, double[] Std) BandStatistics(IReadOnlyList<SegmentationSample> samples)
    {
        if (samples.Count == 0)
        {
            throw new InvalidDataException("train_list.txt is empty");
        }

        double[]? sum = null, squares = null;
        long count = 0;
        foreach (var s in samples)
        {
            RasterImage image = RasterImage.Load(s.Image);
            sum ??= new double[image.Channels];
            squares ??= new double[image.Channels];
            if (image.Channels != sum.Length)
            {
                throw new InvalidDataException($"image {s.Image} has {image.Channels} bands, the first training image {sum.Length}");
            }

            for (int c = 0; c < image.Channels; c++)
            {
                foreach (float v in image.Band(c))
                {
                    double u = v / 255.0;
                    sum[c] += u;
                    squares[c] += u * u;
                }
            }

            count += (long)image.Width * image.Height;
        }

        var mean = sum!.Select(v => v / count).ToArray();
        var std = squares!.Select((v, c) => Math.Max(1e-6, Math.Sqrt(Math.Max(0, v / count - mean[c] * mean[c])))).ToArray();
        return (mean, std);
    }

    private static string Format(double[] values) => "[" + string.Join(", ", values.Select(v => v.ToString("0.######", CultureInfo.InvariantCulture))) + "]";

    /// <summary>A per-class list as numpy prints it in PaddleX's log: <c>[0.912000 0.800000]</c>.</summary>
    private static string List(double[] values) => "[" + string.Join(" ", values.Select(PaddleXLogFormat.F6)) + "]";
}
