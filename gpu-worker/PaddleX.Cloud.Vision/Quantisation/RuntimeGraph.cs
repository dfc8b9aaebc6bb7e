using Microsoft.ML.OnnxRuntime;
using PaddleX.Cloud.Vision.Export.Onnx;

namespace PaddleX.Cloud.Vision.Quantisation;

/// <summary>What ONNX Runtime makes of a graph: the node types after its CPU graph optimisations — the proof
/// that QuantizeLinear/DequantizeLinear pairs were fused into int8 kernels rather than run one by one.</summary>
public static class RuntimeGraph
{
    /// <summary>Node count per op type (<c>domain:op</c> outside the default domain) of the graph ONNX Runtime runs.</summary>
    public static Dictionary<string, int> OptimisedOpCounts(byte[] model)
    {
        var path = Path.Combine(Path.GetTempPath(), $"paddlex-optimised-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = QuantisedExport.SessionOptions())
            {
                options.OptimizedModelFilePath = path;
                options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR; // its "hardware specific" warning is the point here
                using var session = new InferenceSession(model, options);
            }

            return OpCounts(File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Node count per op type of a serialised ONNX model.</summary>
    public static Dictionary<string, int> OpCounts(byte[] model) =>
        ModelProto.Parser.ParseFrom(model).Graph.Node
            .GroupBy(n => n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}:{n.OpType}")
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}
