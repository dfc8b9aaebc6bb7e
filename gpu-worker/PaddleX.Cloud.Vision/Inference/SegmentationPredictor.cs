using PaddleX.Cloud.Vision.Data;
using PaddleX.Cloud.Vision.Models.Segmentation;
using PaddleX.Cloud.Vision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Inference;

/// <summary>A trained segmentation checkpoint in eval mode on the CPU, with the preprocessing it was
/// trained with (resize to image_shape, per-band mean/std); label maps come back at the picture's size.</summary>
public sealed class SegmentationPredictor : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly SegmentationTransforms transforms;

    public SegmentationPredictor(string checkpointDir)
    {
        State = Checkpoints.ReadState(checkpointDir);
        model = SegmentationModels.Create(State.Model, State.Backbone, State.Labels.Length, State.InChannels);
        Checkpoints.Load(checkpointDir, model);
        model.eval();
        transforms = new SegmentationTransforms(State.ImageShape[0], State.ImageShape[1], State.InChannels, State.ImageMean, State.ImageStd);
    }

    public CheckpointState State { get; }

    public IReadOnlyList<string> Labels => State.Labels;

    /// <summary>The class of every pixel (row-major, the picture's width × height).</summary>
    public byte[] Predict(RasterImage image)
    {
        var input = new float[transforms.SampleLength];
        transforms.Apply(image, null, null, input, default);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor x = tensor(input, [1, transforms.Channels, transforms.Height, transforms.Width]);
        Tensor logits = nn.functional.interpolate(model.call(x), [image.Height, image.Width], mode: InterpolationMode.Bilinear, align_corners: false);
        return logits.argmax(1).to_type(ScalarType.Byte).data<byte>().ToArray();
    }

    public void Dispose() => model.Dispose();
}
