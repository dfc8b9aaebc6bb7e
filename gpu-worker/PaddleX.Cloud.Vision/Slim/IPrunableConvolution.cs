using TorchSharp.Modules;

namespace PaddleX.Cloud.Vision.Slim;

/// <summary>
/// A convolution that is not a TorchSharp <c>Conv2d</c> (the deformable one) but loses channels like one: its
/// weight is [out, in, kh, kw] without groups, and the pruner replaces weight and bias with cut copies. Modules that
/// read the same input for it (a deformable convolution's offset convolution) are consumers of their own.
/// </summary>
public interface IPrunableConvolution
{
    Parameter Weight { get; set; }

    Parameter? Bias { get; set; }
}
