using PaddleX.Cloud.Vision.Export;
using static TorchSharp.torch;
using DataType = PaddleX.Cloud.Vision.Export.Onnx.TensorProto.Types.DataType;

namespace PaddleX.Cloud.Vision.Detection.Export;

/// <summary>
/// Deformable convolution v2 in ONNX opset 17, as the same formulation <see cref="Ops.DeformConv2d.Apply"/> runs in
/// TorchSharp: every kernel tap's sampling positions (regular grid + offset) become one <c>GridSample</c> (bilinear,
/// zero padding, no corner alignment), the samples are weighted by the mask, and the convolution is a
/// <c>MatMul</c> of the weights with those columns. ONNX's own <c>DeformConv</c> needs opset 19, which the
/// reference checker here does not know (docs/inference.md has the measurement). The regular grid is built from the
/// input's shape inside the graph, so the layer needs no size at export time.
/// </summary>
public static class DeformConvOnnx
{
    /// <summary>One modulated deformable layer (padding for a same-size output, stride 1) as a model of its own, for
    /// tests and benchmarks: inputs <c>x</c> [1, C, H, W], <c>offset</c> [1, 2K, H, W], <c>mask</c> [1, K, H, W]
    /// (tap weights), output <c>y</c> [1, Cout, H, W].</summary>
    public static byte[] LayerModel(Tensor weight, long height, long width)
    {
        long channels = weight.shape[1], taps = weight.shape[2] * weight.shape[3];
        var g = new OnnxGraph("deformable_layer", OnnxWeights.Float32);
        g.Input("x", [1L, channels, height, width]);
        g.Input("offset", [1L, 2 * taps, height, width]);
        g.Input("mask", [1L, taps, height, width]);
        g.Output("y", "Identity", Emit(g, "x", "offset", "mask", weight, null, channels, 1, 1, (weight.shape[2] - 1) / 2, 1));
        g.DeclareOutput("y", [1L, weight.shape[0], height, width]);
        return g.ToBytes("one deformable convolution layer", new Dictionary<string, string>());
    }

    /// <param name="input">[B, C, H, W].</param>
    /// <param name="offset">[B, 2·G·K, Ho, Wo]: (dy, dx) per offset group G and kernel tap K.</param>
    /// <param name="mask">[B, G·K, Ho, Wo] tap weights (already through the sigmoid), or null (DCNv1).</param>
    /// <param name="weight">[Cout, C/groups, kh, kw].</param>
    public static string Emit(OnnxGraph g, string input, string offset, string? mask, Tensor weight, Tensor? bias, long channels, long offsetGroups, long stride, long padding, long dilation)
    {
        long outChannels = weight.shape[0], kernelH = weight.shape[2], kernelW = weight.shape[3];
        long taps = kernelH * kernelW;
        long weightGroups = channels / weight.shape[1];
        long groupChannels = channels / offsetGroups;

        string inShape = g.Node("Shape", [input]);
        string outShape = g.Node("Shape", [offset]);
        string Dim(string shape, long axis) => g.Node("Gather", [shape, g.Longs(axis)]); // [1] int64
        string AsFloat(string dim) => g.Node("Cast", [g.Node("Squeeze", [dim, g.Longs(0)])], OnnxGraph.Attr("to", (long)DataType.Float));
        string Shape(params string[] parts) => g.Node("Concat", parts, OnnxGraph.Attr("axis", 0L));
        string outH = Dim(outShape, 2), outW = Dim(outShape, 3);
        string outPixels = g.Node("Mul", [outH, outW]);

        // Regular sampling positions in input pixels: tap offsets [K, 1, 1] plus output rows [1, Ho, 1] / columns [1, 1, Wo].
        string Positions(string count) =>
            g.Node("Sub", [g.Mul(g.Node("Range", [g.Scalar(0f), AsFloat(count), g.Scalar(1f)]), g.Scalar(stride)), g.Scalar(padding)]);
        var tapY = Enumerable.Range(0, (int)taps).Select(t => (float)(t / kernelW * dilation)).ToArray();
        var tapX = Enumerable.Range(0, (int)taps).Select(t => (float)(t % kernelW * dilation)).ToArray();
        string baseY = g.Add(g.Floats([taps, 1, 1], tapY), g.Node("Reshape", [Positions(outH), g.Longs(1, -1, 1)]));
        string baseX = g.Add(g.Floats([taps, 1, 1], tapX), g.Node("Reshape", [Positions(outW), g.Longs(1, 1, -1)]));

        // [B, G, K, 2, Ho, Wo] → y, x [B, G, K, Ho, Wo]; normalised as grid_sample wants: p ↦ (2p + 1) / size − 1.
        string shifts = g.Node("Reshape", [offset, Shape(g.Longs(-1, offsetGroups, taps, 2), outH, outW)]);
        string Coordinate(long part, string regular, string size)
        {
            string p = g.Add(g.Node("Squeeze", [g.Node("Slice", [shifts, g.Longs(part), g.Longs(part + 1), g.Longs(3)]), g.Longs(3)]), regular);
            return g.Node("Sub", [g.Node("Div", [g.Add(g.Mul(p, g.Scalar(2f)), g.Scalar(1f)), AsFloat(size)]), g.Scalar(1f)]);
        }

        string x = Coordinate(1, baseX, Dim(inShape, 3));
        string y = Coordinate(0, baseY, Dim(inShape, 2));
        string grid = g.Node("Concat", [g.Node("Unsqueeze", [x, g.Longs(-1)]), g.Node("Unsqueeze", [y, g.Longs(-1)])], OnnxGraph.Attr("axis", -1L));
        // All taps of an offset group in one sampling: grid [B·G, K, Ho·Wo, 2] → samples [B·G, C/G, K, Ho·Wo].
        grid = g.Node("Reshape", [grid, Shape(g.Longs(-1, taps), outPixels, g.Longs(2))]);
        string source = offsetGroups == 1 ? input : g.Node("Reshape", [input, Shape(g.Longs(-1, groupChannels), Dim(inShape, 2), Dim(inShape, 3))]);
        string sampled = g.Node("GridSample", [source, grid],
            OnnxGraph.Attr("mode", "bilinear"), OnnxGraph.Attr("padding_mode", "zeros"), OnnxGraph.Attr("align_corners", 0L));
        if (mask is not null)
        {
            sampled = g.Mul(
                g.Node("Reshape", [sampled, Shape(g.Longs(-1, offsetGroups, groupChannels, taps), outPixels)]),
                g.Node("Reshape", [mask, Shape(g.Longs(-1, offsetGroups, 1, taps), outPixels)]));
        }

        string columns = g.Node("Reshape", [sampled, Shape(g.Longs(-1, weightGroups, channels / weightGroups * taps), outPixels)]);
        string kernels = g.Initializer(weight.reshape(1, weightGroups, outChannels / weightGroups, channels / weightGroups * taps));
        string output = g.Node("Reshape", [g.Node("MatMul", [kernels, columns]), Shape(g.Longs(-1, outChannels), outH, outW)]);
        return bias is null ? output : g.Add(output, g.Initializer(bias.reshape(1, outChannels, 1, 1)));
    }
}
