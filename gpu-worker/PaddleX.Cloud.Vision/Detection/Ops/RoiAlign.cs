using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// RoIAlign with torchvision's results (<c>ops.roi_align</c>: the same sample positions, border rules, adaptive
/// sampling grid and averaging), differentiable with respect to the feature map, on any device.
/// </summary>
/// <remarks>
/// The sample positions are computed on the CPU from the boxes, step for step as torchvision's kernel does in single
/// precision (<see cref="RoiBins"/>). Float32 CPU features then go through <see cref="RoiAlignCpu"/>, a channels-last
/// kernel with its own backward; any other device or type through <see cref="RoiAlignGridSample"/>, built from
/// libtorch ops. Boxes get no gradient, as in torchvision.
/// </remarks>
public static class RoiAlign
{
    /// <summary>[K, C, <paramref name="outputHeight"/>, <paramref name="outputWidth"/>] features of the boxes
    /// <paramref name="rois"/> ([K, 5]: batch index, x1, y1, x2, y2 in input pixels) on <paramref name="input"/>
    /// ([B, C, H, W], whose cell size is 1/<paramref name="spatialScale"/> input pixels). <paramref name="samplingRatio"/>
    /// ≤ 0 samples ceil(bin size) points per bin side; <paramref name="aligned"/> shifts boxes by half a cell.</summary>
    public static Tensor Apply(Tensor input, Tensor rois, int outputHeight, int outputWidth, double spatialScale, int samplingRatio, bool aligned)
    {
        if (input.dim() != 4)
        {
            throw new ArgumentException($"input must be [B, C, H, W], got [{string.Join(", ", input.shape)}]", nameof(input));
        }

        if (rois.dim() != 2 || rois.shape[1] != 5)
        {
            throw new ArgumentException($"rois must be [K, 5] (batch index, x1, y1, x2, y2), got [{string.Join(", ", rois.shape)}]", nameof(rois));
        }

        float[] r = HostArrays.Of<float>(rois, ScalarType.Float32);
        return Pool([input], [spatialScale], r, new int[r.Length / 5], outputHeight, outputWidth, samplingRatio, aligned);
    }

    /// <summary>Pools roi i (<paramref name="rois"/>[5i..5i+5]) from level <paramref name="levelOf"/>[i] of
    /// <paramref name="features"/> ([B, C, H_l, W_l], one channel count) whose scale is <paramref name="scales"/>[l].</summary>
    internal static Tensor Pool(IReadOnlyList<Tensor> features, double[] scales, float[] rois, int[] levelOf,
        int outputHeight, int outputWidth, int samplingRatio, bool aligned, bool portable = false)
    {
        if (outputHeight <= 0 || outputWidth <= 0)
        {
            throw new ArgumentException($"output size must be positive, got {outputHeight}×{outputWidth}");
        }

        var bins = new RoiBins[levelOf.Length];
        for (int i = 0; i < bins.Length; i++)
        {
            Tensor f = features[levelOf[i]];
            bins[i] = RoiBins.Of(i, rois.AsSpan(5 * i, 5), f.shape[0], scales[levelOf[i]], outputHeight, outputWidth, samplingRatio, aligned);
        }

        bool cpu = features.All(f => f.device_type == DeviceType.CPU && f.dtype == ScalarType.Float32);
        return cpu && !portable
            ? RoiAlignCpu.Pool(features, bins, levelOf, outputHeight, outputWidth)
            : RoiAlignGridSample.Pool(features, bins, levelOf, outputHeight, outputWidth);
    }
}
