using PaddleX.Cloud.Vision.Data;
using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Training;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Inference;

/// <summary>A trained classification checkpoint (model.dat + trainer_state.json) in eval mode on the
/// CPU, with the preprocessing it was trained with (resize, mean/std).</summary>
public sealed class ClassificationPredictor : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly ClassificationTransforms transforms;

    public ClassificationPredictor(string checkpointDir)
    {
        State = Checkpoints.ReadState(checkpointDir);
        model = ClassificationModels.Create(State.Model, State.Labels.Length, State.Layout);
        Checkpoints.Load(checkpointDir, model);
        model.eval();
        transforms = new ClassificationTransforms(State.ImageShape[0], State.ImageShape[1], State.ImageMean, State.ImageStd);
    }

    public CheckpointState State { get; }

    public IReadOnlyList<string> Labels => State.Labels;

    /// <summary>Class probabilities (softmax) of one decoded picture.</summary>
    public float[] Predict(SKBitmap picture)
    {
        var input = new float[transforms.SampleLength];
        transforms.ApplyBitmap(picture, null, input);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tensor(input, [1, 3, transforms.Height, transforms.Width]);
        return model.call(x).softmax(1).data<float>().ToArray();
    }

    /// <summary>Class probabilities of a picture file (decoded like training does).</summary>
    public float[] Predict(string path)
    {
        using var picture = ImageIO.Decode(path);
        return Predict(picture);
    }

    /// <summary>The <paramref name="k"/> best (index, score) pairs, best first.</summary>
    public static (int Index, float Score)[] TopK(float[] scores, int k) =>
        scores.Select((s, i) => (Index: i, Score: s)).OrderByDescending(p => p.Score).ThenBy(p => p.Index).Take(Math.Max(1, k)).ToArray();

    public void Dispose() => model.Dispose();
}
