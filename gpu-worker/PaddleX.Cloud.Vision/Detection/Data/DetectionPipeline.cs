using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>Which PaddleX 2.1 transform family a detector uses.</summary>
public enum DetectionPipelineKind
{
    /// <summary>YOLOv3 / PP-YOLO family: fixed-size (or multi-scale) square inputs.</summary>
    Yolo,

    /// <summary>Faster / Mask R-CNN: resize by the short side, keep the aspect, pad the batch.</summary>
    Rcnn,
}

/// <summary>
/// The per-picture transforms of one PaddleX 2.1 detection pipeline, as the train parameters switch them.
/// <list type="bullet">
/// <item>YOLO train: [MixupImage] → RandomDistort → [RandomExpand] → [RandomCrop] → Resize (to the batch's size,
/// random interpolation) → RandomHorizontalFlip → Normalize;</item>
/// <item>YOLO eval: Resize to image_shape (cubic) → Normalize;</item>
/// <item>R-CNN train: RandomDistort → RandomHorizontalFlip → ResizeByShort (short = min(image_shape), max =
/// max(image_shape)) → Normalize, the batch padded to a multiple of 32 with a feature pyramid;</item>
/// <item>R-CNN eval: ResizeByShort → Normalize (same padding).</item>
/// </list>
/// Every random choice comes from the <see cref="Random"/> handed in, so the output is a pure function of
/// (sample, epoch, random seed, batch size).
/// </summary>
public sealed record DetectionPipeline
{
    public DetectionPipelineKind Kind { get; init; }

    /// <summary>Augmenting (training) or not (evaluation, prediction).</summary>
    public bool Train { get; init; }

    /// <summary>YOLO: the input width and height (image_shape). R-CNN: the short side is min, the cap max of the two.</summary>
    public int Width { get; init; } = 608;

    public int Height { get; init; } = 608;

    public IReadOnlyList<double> Mean { get; init; } = [0.485, 0.456, 0.406];

    public IReadOnlyList<double> Std { get; init; } = [0.229, 0.224, 0.225];

    public bool Mixup { get; init; }

    public double MixupAlpha { get; init; } = 1.5;

    public double MixupBeta { get; init; } = 1.5;

    /// <summary>Mixup runs in epochs 1…MixupEpochs (1-based, as the training loop counts): PaddleX's ⌊num_epochs · 25/27⌋.</summary>
    public int MixupEpochs { get; init; }

    public DistortOptions? Distort { get; init; }

    public double ExpandProb { get; init; }

    public double ExpandMaxRatio { get; init; } = 4;

    public bool Crop { get; init; }

    public double FlipProb { get; init; }

    /// <summary>Multi-scale training: each batch is resized to a square side drawn from this list (null = fixed size).</summary>
    public IReadOnlyList<int>? RandomSizes { get; init; }

    /// <summary>Batches are padded to a multiple of this (0 = to the largest picture only).</summary>
    public int PadStride { get; init; }

    /// <summary>How a picture is resized outside of training's random choice — evaluation, prediction, and what an
    /// export's model.json tells a deployment (R-CNN: bilinear by the short side; YOLO family: bicubic).</summary>
    public Interpolation EvalInterpolation => Kind == DetectionPipelineKind.Rcnn ? Interpolation.Linear : Interpolation.Cubic;

    public static DetectionPipelineKind KindOf(string model) =>
        model is "FasterRCNN" or "MaskRCNN" ? DetectionPipelineKind.Rcnn : DetectionPipelineKind.Yolo;

    /// <summary>The training pipeline of <paramref name="p"/>'s model, with its switches.</summary>
    public static DetectionPipeline ForTraining(TrainParams p)
    {
        DetectionPipelineKind kind = KindOf(p.Model);
        var distort = new DistortOptions(
            p.BrightnessRange, p.Brightness ? p.BrightnessProb : 0,
            p.ContrastRange, p.Contrast ? p.ContrastProb : 0,
            p.SaturationRange, p.Saturation ? p.SaturationProb : 0,
            p.HueRange, p.Hue ? p.HueProb : 0);
        DetectionPipeline common = ForEvaluation(p) with
        {
            Train = true,
            Distort = distort.Any ? distort : null,
            FlipProb = p.HorizontalFlip ? Math.Clamp(p.HorizontalFlipProb, 0, 1) : 0,
        };
        if (kind == DetectionPipelineKind.Rcnn)
        {
            return common;
        }

        return common with
        {
            Mixup = p.UseMixup,
            MixupAlpha = p.MixupAlpha,
            MixupBeta = p.MixupBeta,
            MixupEpochs = (int)(p.NumEpochs * 25.0 / 27),
            ExpandProb = p.ExpandImage ? Math.Clamp(p.ExpandProb, 0, 1) : 0,
            Crop = p.CropImage,
            RandomSizes = p.RandomShape && p.RandomShapeSizes.Length > 0 ? p.RandomShapeSizes : null,
        };
    }

    /// <summary>The evaluation (and prediction) pipeline of <paramref name="p"/>'s model.</summary>
    public static DetectionPipeline ForEvaluation(TrainParams p)
    {
        if (p.ImageMean.Length != 3 || p.ImageStd.Length != 3)
        {
            throw new ArgumentException("image_mean and image_std need 3 values (RGB)");
        }

        DetectionPipelineKind kind = KindOf(p.Model);
        if (p.Width < 32 || p.Height < 32)
        {
            throw new ArgumentException($"image_shape must be at least 32×32, got {p.Width}×{p.Height}");
        }

        return new DetectionPipeline
        {
            Kind = kind,
            Width = p.Width,
            Height = p.Height,
            Mean = p.ImageMean,
            Std = p.ImageStd,
            PadStride = kind == DetectionPipelineKind.Rcnn && p.WithFpn ? 32 : 0,
        };
    }

    /// <summary>The square side of batch <paramref name="batchIndex"/> in <paramref name="epoch"/> (multi-scale training),
    /// or null for the fixed size.</summary>
    public int? BatchSide(int seed, int epoch, int batchIndex)
    {
        if (!Train || RandomSizes is not { Count: > 0 } sizes)
        {
            return null;
        }

        var rng = new Random(Vision.Data.Prefetcher.Mix(seed ^ 0x2545F491, epoch, batchIndex));
        return sizes[rng.Next(sizes.Count)];
    }

    /// <summary>Decodes sample <paramref name="index"/> of <paramref name="dataset"/> and runs the pipeline on it.</summary>
    /// <param name="rng">the sample's random source (null: no augmentation).</param>
    /// <param name="epoch">1-based epoch (decides whether mixup runs).</param>
    /// <param name="side">the batch's square side (multi-scale training), or null for the fixed size.</param>
    public DetectionItem Load(DetectionDataset dataset, int index, Random? rng, int epoch, int? side = null)
    {
        DetectionItem item = Decode(dataset.Samples[index]);
        bool augment = Train && rng is not null;
        if (augment && Mixup && epoch <= MixupEpochs && dataset.Count > 1)
        {
            int partner = (index + rng!.Next(1, dataset.Count)) % dataset.Count;
            float factor = (float)Math.Clamp(DetectionAugment.Beta(rng, MixupAlpha, MixupBeta), 0, 1);
            item = DetectionAugment.Mixup(item, Decode(dataset.Samples[partner]), factor);
        }

        return Apply(item, augment ? rng : null, side);
    }

    /// <summary>Runs the pipeline (after mixup) on a decoded picture — also what prediction uses on one picture.</summary>
    public DetectionItem Apply(DetectionItem item, Random? rng, int? side = null)
    {
        if (Kind == DetectionPipelineKind.Rcnn)
        {
            if (rng is not null)
            {
                if (Distort is not null)
                {
                    DetectionAugment.Distort(item, Distort, rng);
                }

                if (Hit(rng, FlipProb))
                {
                    DetectionAugment.FlipHorizontal(item);
                }
            }

            DetectionAugment.ResizeByShort(item, Math.Min(Width, Height), Math.Max(Width, Height), EvalInterpolation);
        }
        else
        {
            if (rng is not null)
            {
                if (Distort is not null)
                {
                    DetectionAugment.Distort(item, Distort, rng);
                }

                if (Hit(rng, ExpandProb))
                {
                    DetectionAugment.Expand(item, rng, Mean.Select(m => (float)(int)(m * 255)).ToArray(), ExpandMaxRatio);
                }

                if (Crop)
                {
                    DetectionAugment.Crop(item, rng);
                }
            }

            Interpolation interpolation = rng is null ? EvalInterpolation : Resampler.All[rng.Next(Resampler.All.Length)];
            DetectionAugment.Resize(item, side ?? Width, side ?? Height, interpolation);
            if (rng is not null && Hit(rng, FlipProb))
            {
                DetectionAugment.FlipHorizontal(item);
            }
        }

        if (rng is not null)
        {
            DropEmptyBoxes(item);
        }

        DetectionAugment.Normalize(item.Image, Mean, Std);
        return item;
    }

    /// <summary>Pictures without annotations (prediction) through this pipeline without augmentation, as one batch;
    /// each item's scale factors map the detections back to its picture.</summary>
    public DetectionBatch Batch(IReadOnlyList<PlanarImage> pictures, int index = 0) =>
        DetectionBatch.Collate(index, pictures.Select(p => Apply(new DetectionItem(p, [], []), null)).ToList(), PadStride);

    private static DetectionItem Decode(DetectionSample sample) => DetectionItem.From(sample, PlanarImage.Load(sample.ImagePath));

    /// <summary>Boxes squeezed to nothing by a resize carry no signal and would give losses NaN scale targets.</summary>
    private static void DropEmptyBoxes(DetectionItem item)
    {
        var keep = Enumerable.Range(0, item.Count)
            .Where(i => item.Boxes[(4 * i) + 2] - item.Boxes[4 * i] >= 1e-3f && item.Boxes[(4 * i) + 3] - item.Boxes[(4 * i) + 1] >= 1e-3f)
            .ToList();
        if (keep.Count < item.Count)
        {
            item.Keep(keep, keep.SelectMany(i => item.Boxes.AsSpan(4 * i, 4).ToArray()).ToArray(), item.Polygons is { } p ? keep.Select(i => p[i]).ToArray() : null);
        }
    }

    private static bool Hit(Random rng, double prob) => prob > 0 && rng.NextDouble() < prob;
}
