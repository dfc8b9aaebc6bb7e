using PaddleX.Cloud.Vision.Export;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>A backbone as the YOLO necks see it: the feature maps at strides 8, 16 and 32 (shallow to deep) and
/// their channel counts, plus the same computation written into an ONNX graph.</summary>
public abstract class YoloBackbone(string name) : nn.Module<Tensor, Tensor[]>(name)
{
    /// <summary>Channels of the returned maps, shallow to deep.</summary>
    public abstract IReadOnlyList<long> Channels { get; }

    /// <summary>The ONNX values of the returned maps, shallow to deep.</summary>
    public abstract string[] EmitOnnx(OnnxGraph graph, string input);
}
