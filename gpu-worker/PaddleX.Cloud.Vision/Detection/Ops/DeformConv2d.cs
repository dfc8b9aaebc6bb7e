using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Runtime;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// Modulated deformable convolution (DCNv2): every kernel tap samples the input at its regular position plus a
/// learned offset, weighted by a learned mask in (0, 1). The offsets and the mask come from a plain convolution
/// over the same input (<c>conv_offset</c>, zero-initialised, so training starts as an ordinary convolution with
/// every tap at half weight), as PaddleDetection's <c>DeformableConvV2</c> does in the <c>_dcn</c> ResNet stages.
/// State-dict names: <c>weight</c>, <c>bias</c> (when enabled), <c>conv_offset.*</c>. Exports to ONNX through
/// <see cref="DeformConvOnnx"/>.
/// </summary>
public sealed class DeformConv2d : Module<Tensor, Tensor>, IOnnxExportable, IPrunableConvolution
{
    private Parameter weight;
    private Parameter? bias;
    private readonly Conv2d conv_offset;
    private readonly long stride;
    private readonly long padding;
    private readonly long dilation;
    private readonly long taps;

    public DeformConv2d(long inChannels, long outChannels, long kernel, long stride = 1, long dilation = 1, long groups = 1, bool bias = false)
        : base(nameof(DeformConv2d))
    {
        this.stride = stride;
        this.dilation = dilation;
        padding = dilation * (kernel - 1) / 2;
        taps = kernel * kernel;
        weight = Parameter(empty(outChannels, inChannels / groups, kernel, kernel));
        init.kaiming_uniform_(weight, Math.Sqrt(5));
        if (bias)
        {
            var bound = 1 / Math.Sqrt(inChannels / groups * taps);
            this.bias = Parameter(empty(outChannels));
            init.uniform_(this.bias, -bound, bound);
        }

        conv_offset = Conv2d(inChannels, 3 * taps, kernel, stride: stride, padding: padding, dilation: dilation);
        init.zeros_(conv_offset.weight!);
        init.zeros_(conv_offset.bias!);
        RegisterComponents();
    }

    /// <summary>Pruning replaces the weight and bias with cut copies (output channels, or input channels together
    /// with <c>conv_offset</c>'s, which the pruner cuts as a consumer of its own).</summary>
    Parameter IPrunableConvolution.Weight
    {
        get => weight;
        set
        {
            weight = value;
            ConditionallyRegisterParameter(nameof(weight), value);
        }
    }

    Parameter? IPrunableConvolution.Bias
    {
        get => bias;
        set
        {
            bias = value;
            ConditionallyRegisterParameter(nameof(bias), value);
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var offsetMask = conv_offset.call(input);
        var offset = offsetMask.narrow(1, 0, 2 * taps);
        var mask = offsetMask.narrow(1, 2 * taps, taps).sigmoid();
        return Apply(input, offset, weight, bias, mask, stride, padding, dilation).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        string offsetMask = graph.Conv(conv_offset, input);
        string offset = graph.Node("Slice", [offsetMask, graph.Longs(0), graph.Longs(2 * taps), graph.Longs(1)]);
        string mask = graph.Sigmoid(graph.Node("Slice", [offsetMask, graph.Longs(2 * taps), graph.Longs(3 * taps), graph.Longs(1)]));
        return DeformConvOnnx.Emit(graph, input, offset, mask, weight.detach(), bias?.detach(), conv_offset.in_channels, 1, stride, padding, dilation);
    }

    /// <summary>
    /// The deformable convolution itself, with torchvision's <c>deform_conv2d</c> layouts: <paramref name="offset"/>
    /// [B, 2·G·K, Ho, Wo] holds (dy, dx) per offset group G and kernel tap K (row-major over the kernel);
    /// <paramref name="mask"/> [B, G·K, Ho, Wo] (null = DCNv1, every tap weight 1); <paramref name="weight"/>
    /// [Cout, Cin/groups, kh, kw]. A tap that lands outside the input reads zeros, bilinearly blended at the border.
    /// </summary>
    /// <remarks>
    /// Sampling is one <c>grid_sample</c> over all taps at once (the taps stacked along the height of the grid), so
    /// the input, offset and mask gradients come from libtorch's own bilinear backward; the convolution is then a
    /// batched matrix product over the sampled columns, as im2col would do.
    /// </remarks>
    public static Tensor Apply(Tensor input, Tensor offset, Tensor weight, Tensor? bias, Tensor? mask, long stride = 1, long padding = 0, long dilation = 1)
    {
        using var scope = NewDisposeScope();
        long batch = input.shape[0], channels = input.shape[1], height = input.shape[2], width = input.shape[3];
        long outChannels = weight.shape[0], kernelH = weight.shape[2], kernelW = weight.shape[3];
        var taps = kernelH * kernelW;
        var weightGroups = channels / weight.shape[1];
        var offsetGroups = offset.shape[1] / (2 * taps);
        long outH = offset.shape[2], outW = offset.shape[3];
        var (dtype, device) = (input.dtype, input.device);

        // Regular sampling positions of every tap at every output pixel, in input pixels.
        var tapY = arange(kernelH, dtype, device).mul(dilation).repeat_interleave(kernelW);
        var tapX = arange(kernelW, dtype, device).mul(dilation).repeat(kernelH);
        var rowY = arange(outH, dtype, device).mul(stride).sub(padding);
        var colX = arange(outW, dtype, device).mul(stride).sub(padding);
        var baseY = tapY.view(taps, 1, 1).add(rowY.view(1, outH, 1));
        var baseX = tapX.view(taps, 1, 1).add(colX.view(1, 1, outW));

        var shifts = offset.view(batch, offsetGroups, taps, 2, outH, outW);
        var y = shifts.select(3, 0).add(baseY);
        var x = shifts.select(3, 1).add(baseX);

        // grid_sample's normalised coordinates without corner alignment: pixel p ↦ (2p + 1) / size − 1, which holds
        // for a one-pixel side too (aligned corners would divide by size − 1).
        using Scalar w = width, h = height;
        var grid = stack([Normalise(x, w), Normalise(y, h)], -1)
            .view(batch * offsetGroups, taps * outH, outW, 2);
        var sampled = functional.grid_sample(
                input.reshape(batch * offsetGroups, channels / offsetGroups, height, width),
                grid,
                GridSampleMode.Bilinear,
                GridSamplePaddingMode.Zeros,
                align_corners: false)
            .view(batch, offsetGroups, channels / offsetGroups, taps, outH * outW);
        if (mask is not null)
        {
            sampled = sampled.mul(mask.view(batch, offsetGroups, 1, taps, outH * outW));
        }

        var columns = sampled.reshape(batch, weightGroups, channels / weightGroups * taps, outH * outW);
        var kernels = weight.reshape(1, weightGroups, outChannels / weightGroups, channels / weightGroups * taps);
        var output = matmul(kernels, columns).view(batch, outChannels, outH, outW);
        if (bias is not null)
        {
            output = output.add(bias.view(1, outChannels, 1, 1));
        }

        return output.MoveToOuterDisposeScope();
    }

    /// <summary>(2p + 1) / size − 1 with Scalars that outlive each call.</summary>
    private static Tensor Normalise(Tensor p, Scalar size) =>
        p.mul(HeldScalars.Two).add_(HeldScalars.One, HeldScalars.One).div_(size).sub_(HeldScalars.One);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            weight.Dispose();
            bias?.Dispose();
            conv_offset.Dispose();
        }

        base.Dispose(disposing);
    }
}
