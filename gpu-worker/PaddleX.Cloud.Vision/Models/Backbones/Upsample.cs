using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Backbones;

/// <summary>Bilinear resizing with half-pixel centres (<c>align_corners</c> false) — the form ONNX
/// <c>Resize</c> reproduces exactly (<see cref="Export.OnnxGraph.ResizeLike"/>).</summary>
internal static class Upsample
{
    public static Tensor To(Tensor x, long height, long width) =>
        x.shape[2] == height && x.shape[3] == width
            ? x.alias()
            : functional.interpolate(x, size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false);

    public static Tensor Like(Tensor x, Tensor reference) => To(x, reference.shape[2], reference.shape[3]);
}
