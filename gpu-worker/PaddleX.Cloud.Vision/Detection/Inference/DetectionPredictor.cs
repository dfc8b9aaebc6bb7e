using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Inference;

/// <summary>A trained detection checkpoint in eval mode on the CPU with the evaluation pipeline it was trained
/// with; detections come back in the picture's pixels, sorted by score.</summary>
public sealed class DetectionPredictor : IDisposable
{
    private readonly IDetector detector;
    private readonly nn.Module module;
    private readonly DetectionPipeline pipeline;

    public DetectionPredictor(string checkpointDir)
    {
        State = Checkpoints.ReadState(checkpointDir);
        var p = ParamsOf(State);
        detector = DetectionModels.Create(State.Model, State.Backbone, State.Labels.Length, DetectorOptions.For(p));
        module = DetectionModels.AsModule(detector);
        Checkpoints.Load(checkpointDir, module);
        module.eval();
        pipeline = DetectionPipeline.ForEvaluation(p);
    }

    public CheckpointState State { get; }

    public IReadOnlyList<string> Labels => State.Labels;

    public IDetector Detector => detector;

    /// <summary>The parameters a checkpoint's evaluation pipeline is built from.</summary>
    public static TrainParams ParamsOf(CheckpointState state) => new()
    {
        Model = state.Model,
        Backbone = state.Backbone,
        ImageShape = state.ImageShape,
        ImageMean = state.ImageMean,
        ImageStd = state.ImageStd,
        WithFpn = state.Layout != DetectorOptions.WithoutFpnLayout,
        AnchorScale = state.AnchorScale ?? 1,
        RcnnFpnChannels = state.RcnnFpnChannels ?? 0,
        RcnnMaskChannels = state.RcnnMaskChannels ?? 0,
    };

    /// <summary>Every detection of the model's own post-processing (PaddleX's score threshold 0.01 and top 100).</summary>
    public IReadOnlyList<BoxDetection> Predict(PlanarImage image)
    {
        var item = new DetectionItem(image, [], []) { OriginalWidth = image.Width, OriginalHeight = image.Height };
        DetectionBatch batch = DetectionBatch.Collate(0, [pipeline.Apply(item, null)], pipeline.PadStride);
        return BoxDetection.Detect(detector, batch, CPU, detector.DefaultDetectOptions)[0];
    }

    public void Dispose() => module.Dispose();
}
