using System.Text.Json;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Metrics;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Training;

/// <summary>
/// Object detection training on the shared <see cref="TrainingLoop"/> for any <see cref="IDetector"/> of
/// <see cref="DetectionModels"/>: PaddleX's detection pipelines, Momentum 0.9 with L2 decay (1e-4 for R-CNN models,
/// 5e-4 otherwise, as PaddleX), the loop's warmup + piecewise schedule, every loss logged by name, and validation
/// by VOC mAP (<c>bbox_map</c>, 11-point) on VOC data or COCO AP@[.5:.95] (<c>bbox_mmap</c>) on COCO data.
/// Instance segmentation (Mask R-CNN) is the same run with mask targets, <c>loss_mask</c>, and validation by COCO
/// AP of boxes and of masks (<c>bbox_mmap</c>, <c>segm_mmap</c>; the best model by boxes, as PaddleX).
/// </summary>
public sealed class DetectionTrainer : ITrainer
{
    public TrainingResult Run(TrainingRequest request, CancellationToken cancellationToken = default) =>
        TrainingLoop.Run((p, datasetDir, log) => new DetectionFamily(p, datasetDir, log), request, cancellationToken);
}

/// <summary>The detection part of a training run.</summary>
internal sealed class DetectionFamily : ITrainingFamily<DetectionBatch>
{
    /// <summary>Validation pictures per batch when <c>eval_batch_size</c> is not set.</summary>
    private const int DefaultEvalBatch = 8;

    private readonly TrainParams p;
    private readonly string backbone;
    private readonly IDetector detector;
    private readonly DetectionLoader train;
    private readonly DetectionLoader? eval;
    private readonly JsonObject? groundTruth;
    private readonly CocoDataset? groundTruthSet;
    private readonly bool coco;

    /// <param name="createDetector">builds the network for the number of classes instead of the catalog (a learning
    /// test's smaller network of the same code path); <c>backbone</c> is then recorded as given.</param>
    public DetectionFamily(TrainParams p, string datasetDir, TrainLogWriter log, Func<int, IDetector>? createDetector = null)
    {
        this.p = p;
        backbone = createDetector is null ? DetectionModels.ResolveBackbone(p.Model, p.Backbone) : p.Backbone ?? "";
        DetectionDataset trainSet = DetectionDataset.Load(datasetDir, "train");
        DetectionDataset? valSet = DetectionDataset.TryLoad(datasetDir, "val");
        if (trainSet.Count == 0)
        {
            throw new InvalidDataException("the training split has no picture with objects");
        }

        Labels = trainSet.Labels;
        coco = trainSet.IsCoco;
        int batch = Math.Min(p.BatchSize, trainSet.Count);
        if (batch < p.BatchSize)
        {
            log.Info($"batch_size {p.BatchSize} is larger than the {trainSet.Count} training samples: using {batch}");
        }

        train = new DetectionLoader(trainSet, DetectionPipeline.ForTraining(p), batch, shuffle: true, dropLast: true, p.Seed, p.DecodeWorkers, p.PrefetchBatches);
        if (valSet is { Count: > 0 })
        {
            eval = new DetectionLoader(valSet, DetectionPipeline.ForEvaluation(p), p.EvalBatchSize > 0 ? p.EvalBatchSize : DefaultEvalBatch,
                shuffle: false, dropLast: false, p.Seed, p.DecodeWorkers, p.PrefetchBatches);
            groundTruth = valSet.ToCocoGroundTruth();
            groundTruthSet = CocoDataset.Parse(groundTruth.ToJsonString());
        }

        TrainCount = trainSet.Count;
        ValCount = valSet?.Count ?? 0;
        detector = createDetector?.Invoke(Labels.Count) ?? DetectionModels.Create(p.Model, backbone, Labels.Count, DetectorOptions.For(p));
        Model = DetectionModels.AsModule(detector);
    }

    public string Task => detector.ProducesMasks ? "instance_segmentation" : "detection";

    /// <summary>VOC data: 11-point VOC mAP at IoU 0.5; COCO data: COCO AP averaged over IoU 0.5…0.95.</summary>
    public string BestMetric => MetricName(coco);

    /// <summary>Instance segmentation's second validation metric: COCO AP@[.5:.95] of the masks.</summary>
    public const string MaskMetric = "segm_mmap";

    public IReadOnlyList<string> Labels { get; }

    public int TrainCount { get; }

    public int ValCount { get; }

    public int StepsPerEpoch => train.BatchesPerEpoch;

    public bool CanEvaluate => eval is not null;

    public nn.Module Model { get; }

    public IEnumerable<DetectionBatch> TrainEpoch(int epoch, CancellationToken cancellationToken, int firstBatch = 0) =>
        train.Epoch(epoch, cancellationToken, firstBatch);

    public optim.Optimizer CreateOptimizer(TrainParams p) => Optimizer(Model, p);

    /// <summary>Momentum SGD; as PaddleDetection, L2 decay applies to the convolution and linear weights only — its
    /// norm layers have <c>norm_decay</c> 0 and its head biases <c>L2Decay(0)</c>.</summary>
    public static optim.Optimizer Optimizer(nn.Module model, TrainParams p)
    {
        var parameters = model.parameters().Where(t => t.requires_grad).ToArray();
        var groups = new[]
        {
            new TorchSharp.Modules.SGD.ParamGroup(parameters.Where(t => t.dim() > 1), new TorchSharp.Modules.SGD.Options { momentum = p.Momentum, weight_decay = WeightDecay(p.Model) }),
            new TorchSharp.Modules.SGD.ParamGroup(parameters.Where(t => t.dim() <= 1), new TorchSharp.Modules.SGD.Options { momentum = p.Momentum, weight_decay = 0 }),
        };
        return torch.optim.SGD(groups, p.LearningRate, momentum: p.Momentum);
    }

    /// <summary>PaddleX's L2 decay for detectors: 1e-4 for the R-CNN family, 5e-4 for the others.</summary>
    public static double WeightDecay(string model) => model is "FasterRCNN" or "MaskRCNN" ? 1e-4 : 5e-4;

    public StepResult TrainStep(DetectionBatch batch, optim.Optimizer optimizer, Device device)
    {
        using var scope = torch.NewDisposeScope();
        Dictionary<string, Tensor> losses = detector.Losses(batch.ImagesTensor(device), batch.ToTargets(device, masks: detector.ProducesMasks));
        Tensor total = losses.Values.Aggregate((a, b) => a + b);
        optimizer.zero_grad();
        total.backward();
        optimizer.step();
        var metrics = losses.ToDictionary(l => l.Key, l => (double)l.Value.item<float>(), StringComparer.Ordinal);
        return new StepResult(total.item<float>(), metrics);
    }

    public EvalResult Evaluate(Device device, CancellationToken cancellationToken)
    {
        DetectionLoader loader = eval ?? throw new InvalidOperationException("no validation set");
        var results = new List<CocoResult>();
        var masks = new List<CocoResult>();
        Model.eval();
        foreach (DetectionBatch batch in loader.Epoch(0, cancellationToken))
        {
            var detections = BoxDetection.Detect(detector, batch, device, detector.DefaultDetectOptions);
            for (int i = 0; i < detections.Count; i++)
            {
                long imageId = batch.Items[i].ImageId;
                results.AddRange(detections[i].Select(d => new CocoResult { ImageId = imageId, CategoryId = d.Label + 1, Bbox = d.Xywh, Score = d.Score }));
                masks.AddRange(detections[i].Where(d => d.Mask is not null)
                    .Select(d => new CocoResult { ImageId = imageId, CategoryId = d.Label + 1, Segmentation = CocoSegmentation.FromRle(d.Mask!), Score = d.Score }));
            }
        }

        double value = Score(coco, groundTruthSet!, results);
        var metrics = new Dictionary<string, double> { [BestMetric] = value };
        var details = new JsonObject
        {
            ["gt"] = groundTruth!.DeepClone(),
            ["bbox"] = JsonSerializer.SerializeToNode(results, CocoJson.Options),
        };
        if (detector.ProducesMasks)
        {
            metrics[MaskMetric] = CocoEvaluator.Run(groundTruthSet!, masks, CocoIouType.Segm).Stats[0];
            details["mask"] = JsonSerializer.SerializeToNode(masks, CocoJson.Options);
        }

        return new EvalResult(metrics, metrics.Select(m => KeyValuePair.Create(m.Key, PaddleXLogFormat.F6(m.Value))).ToList(), details);
    }

    /// <summary>The first evaluation metric of a detection dataset: <c>bbox_mmap</c> for COCO data, <c>bbox_map</c> for VOC.</summary>
    internal static string MetricName(bool coco) => coco ? "bbox_mmap" : "bbox_map";

    /// <summary><see cref="MetricName"/>'s value for detections of the validation pictures.</summary>
    internal static double Score(bool coco, CocoDataset groundTruth, List<CocoResult> results) =>
        coco ? CocoEvaluator.Run(groundTruth, results, CocoIouType.Bbox).Stats[0] : VocMap.Evaluate(groundTruth, results).Map;

    public CheckpointState Describe(CheckpointState state) =>
        state with
        {
            Backbone = backbone, ImageShape = [p.Width, p.Height], ImageMean = p.ImageMean, ImageStd = p.ImageStd,
            Layout = p.WithFpn ? null : DetectorOptions.WithoutFpnLayout,
            AnchorScale = p.AnchorScale == 1 ? null : p.AnchorScale,
            RcnnFpnChannels = p.RcnnFpnChannels > 0 ? p.RcnnFpnChannels : null,
            RcnnMaskChannels = p.RcnnMaskChannels > 0 ? p.RcnnMaskChannels : null,
        };

    public void CheckResume(string checkpoint, CheckpointState resumed)
    {
        if (resumed.Model != p.Model || resumed.Backbone != backbone || resumed.Labels.Length != Labels.Count)
        {
            throw new InvalidDataException($"checkpoint {checkpoint} is a {resumed.Model}-{resumed.Backbone} with {resumed.Labels.Length} classes, not {p.Model}-{backbone} with {Labels.Count}");
        }
    }

    public void Dispose() => Model.Dispose();
}
