using System.Runtime.InteropServices;
using Google.Protobuf;
using PaddleX.Cloud.Vision.Export.Onnx;

namespace PaddleX.Cloud.Vision.Quantisation;

/// <summary>Reading and writing the ONNX tensors the quantiser touches (raw little-endian data).</summary>
internal static class OnnxTensors
{
    public static float[] ToFloats(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new NotSupportedException($"tensor {t.Name} is not float32");
        }

        return t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
    }

    public static TensorProto Floats(string name, float[] values, params long[] dims) =>
        Raw(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    public static TensorProto SBytes(string name, sbyte[] values, params long[] dims) =>
        Raw(name, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    public static TensorProto Bytes(string name, byte[] values, params long[] dims) =>
        Raw(name, TensorProto.Types.DataType.Uint8, values, dims);

    public static TensorProto Ints(string name, int[] values, params long[] dims) =>
        Raw(name, TensorProto.Types.DataType.Int32, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    private static TensorProto Raw(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.Add(dims);
        return t;
    }
}
