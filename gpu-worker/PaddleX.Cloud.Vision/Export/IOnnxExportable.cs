namespace PaddleX.Cloud.Vision.Export;

/// <summary>
/// A module that writes its own eval-mode computation into an ONNX graph. Custom blocks (residual
/// units, fusion layers, heads) implement it next to their <c>forward</c>, so the graph follows the code
/// instead of guessing the structure from child names.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Adds the nodes that compute this module from the value named <paramref name="input"/>
    /// and returns the name of the result.</summary>
    string EmitOnnx(OnnxGraph graph, string input);
}
