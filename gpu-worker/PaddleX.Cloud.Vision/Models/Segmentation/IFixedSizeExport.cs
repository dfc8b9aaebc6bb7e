namespace PaddleX.Cloud.Vision.Models.Segmentation;

/// <summary>A network whose ONNX graph depends on the input size (adaptive pooling to fixed bins): the
/// exporter sets <see cref="ExportSize"/> before emitting, and the graph then takes only that size.</summary>
public interface IFixedSizeExport
{
    /// <summary>(height, width) of the exported graph's input.</summary>
    (long Height, long Width) ExportSize { get; set; }
}
