using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// RoIAlign over a feature pyramid (torchvision <c>ops.MultiScaleRoIAlign</c>): each box is pooled from the level
/// the FPN paper assigns to its size, k = ⌊k0 + log2(√area / canonical scale)⌋ clamped to the pyramid's levels, with
/// each level's scale inferred from its size against the (largest) image size, as a power of two.
/// </summary>
/// <param name="outputHeight">Pooled height (7 for Faster R-CNN box heads, 14 for mask heads).</param>
/// <param name="outputWidth">Pooled width.</param>
/// <param name="samplingRatio">Samples per bin side; ≤ 0 adapts to the bin size.</param>
/// <param name="canonicalScale">Box size that maps to <paramref name="canonicalLevel"/> (224: ImageNet pre-training size).</param>
/// <param name="canonicalLevel">FPN level k0 of a canonical-size box (4).</param>
public sealed class MultiScaleRoiAlign(int outputHeight, int outputWidth, int samplingRatio, int canonicalScale = 224, int canonicalLevel = 4)
{
    private const double LevelEps = 1e-6;

    public int OutputHeight { get; } = outputHeight;

    public int OutputWidth { get; } = outputWidth;

    /// <summary>Pooled features [Σ N_i, C, oh, ow] of every image's boxes in order: <paramref name="features"/> are the
    /// pyramid levels, finest first ([B, C, H_l, W_l]); <paramref name="boxes"/> one [N_i, 4] tensor per image in input
    /// pixels; <paramref name="imageSizes"/> each image's (height, width) before padding.</summary>
    public Tensor Apply(IReadOnlyList<Tensor> features, IReadOnlyList<Tensor> boxes, IReadOnlyList<(long Height, long Width)> imageSizes)
    {
        if (features.Count == 0 || boxes.Count != imageSizes.Count || boxes.Count != features[0].shape[0])
        {
            throw new ArgumentException($"need ≥ 1 feature level and one box tensor and image size per image (features {features.Count}, boxes {boxes.Count}, sizes {imageSizes.Count})");
        }

        double[] scales = Scales(features, imageSizes);
        float[] rois = ToRois(boxes);
        int[] levels = MapLevels(boxes, scales).Select(l => (int)l).ToArray();
        return RoiAlign.Pool(features, scales, rois, levels, OutputHeight, OutputWidth, samplingRatio, aligned: false);
    }

    /// <summary>Pyramid index (0 = finest given level) of each box, over all images in order.</summary>
    public long[] MapLevels(IReadOnlyList<Tensor> boxes, double[] scales)
    {
        using var scope = NewDisposeScope();
        var all = cat(boxes.Select(b => b.detach().to(ScalarType.Float32, CPU)).ToArray(), 0);
        return HostArrays.Of<long>(LevelOfSize(BoxOps.Area(all).sqrt(), scales), ScalarType.Int64);
    }

    /// <summary>
    /// The smallest box side (√area, float32) of each level above the first: a box's level is the number of these it
    /// reaches. Found by bisection over the float32 values with the same arithmetic as <see cref="MapLevels"/>, so a
    /// graph without a base-2 logarithm (ONNX) assigns exactly the same levels by comparing.
    /// </summary>
    public float[] LevelThresholds(double[] scales)
    {
        using var scope = NewDisposeScope();
        var thresholds = new float[scales.Length - 1];
        for (int level = 1; level < scales.Length; level++)
        {
            // Positive float32 values are ordered as their bit patterns; find the first pattern that reaches the level.
            int low = 0, high = BitConverter.SingleToInt32Bits(float.MaxValue);
            while (low < high)
            {
                int mid = low + ((high - low) / 2);
                var size = tensor(new[] { BitConverter.Int32BitsToSingle(mid) });
                if (LevelOfSize(size, scales).item<float>() >= level)
                {
                    high = mid;
                }
                else
                {
                    low = mid + 1;
                }
            }

            thresholds[level - 1] = BitConverter.Int32BitsToSingle(low);
        }

        return thresholds;
    }

    /// <summary>Each level's scale: 2^round(log2(level height / largest image height)).</summary>
    public static double[] Scales(IReadOnlyList<Tensor> features, IReadOnlyList<(long Height, long Width)> imageSizes)
    {
        long maxHeight = imageSizes.Max(s => s.Height);
        return features.Select(f => Math.Pow(2, Math.Round(Math.Log2((double)f.shape[2] / maxHeight)))).ToArray();
    }

    /// <summary>Level index (0 = finest) of boxes of side <paramref name="size"/> (float32), as a float tensor.</summary>
    private Tensor LevelOfSize(Tensor size, double[] scales)
    {
        int kMin = (int)-Math.Log2(scales[0]), kMax = (int)-Math.Log2(scales[^1]);
        // Single precision on purpose: the level boundaries then fall where torchvision's do.
        var target = (log2(size / canonicalScale) + canonicalLevel + tensor((float)LevelEps)).floor().clamp(kMin, kMax);
        return target - kMin;
    }

    private static float[] ToRois(IReadOnlyList<Tensor> boxes)
    {
        var rois = new List<float>();
        for (int i = 0; i < boxes.Count; i++)
        {
            BoxOps.RequireBoxes(boxes[i], $"boxes[{i}]");
            foreach (var chunk in HostArrays.Of<float>(boxes[i], ScalarType.Float32).Chunk(4))
            {
                rois.Add(i);
                rois.AddRange(chunk);
            }
        }

        return rois.ToArray();
    }
}
