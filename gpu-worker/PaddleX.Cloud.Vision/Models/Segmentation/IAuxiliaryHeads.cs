using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Models.Segmentation;

/// <summary>
/// A segmentation network with auxiliary heads that help training (deep supervision). In train mode the
/// loop calls <see cref="ForwardWithAuxiliary"/> and adds each head's loss times its weight;
/// <c>forward</c> (and therefore eval, export and prediction) returns only the main logits.
/// </summary>
public interface IAuxiliaryHeads
{
    /// <summary>Main logits first, then each auxiliary head's logits, all [N, classes, H, W] at the input size.</summary>
    IReadOnlyList<Tensor> ForwardWithAuxiliary(Tensor input);

    /// <summary>Loss weights in the order of <see cref="ForwardWithAuxiliary"/>'s outputs (the first is the main loss's).</summary>
    IReadOnlyList<float> LossWeights { get; }
}
