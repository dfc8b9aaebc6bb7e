using System.Text.Json;
using System.Text.Json.Serialization;
using PaddleX.Cloud.Vision.Data;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>
/// The PaddleX training parameters (docs/api-behaviour.md §5, snake_case JSON as stored by the API) plus the engine's
/// own settings. Deserialize the stored Params object straight into this type; unknown keys are ignored.
/// </summary>
public sealed record TrainParams
{
    [JsonPropertyName("model")] public string Model { get; init; } = "MobileNetV2";
    [JsonPropertyName("cuda_visible_devices")] public string CudaVisibleDevices { get; init; } = "";
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 2;
    [JsonPropertyName("save_interval_epochs")] public int SaveIntervalEpochs { get; init; } = 1;
    [JsonPropertyName("pretrain_weights")] public string? PretrainWeights { get; init; } = "IMAGENET";
    [JsonPropertyName("num_epochs")] public int NumEpochs { get; init; } = 4;
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = 0.000125;
    [JsonPropertyName("lr_decay_epochs")] public int[] LrDecayEpochs { get; init; } = [2, 3];
    [JsonPropertyName("lr_policy")] public string LrPolicy { get; init; } = "Piecewise";
    [JsonPropertyName("warmup_steps")] public int WarmupSteps { get; init; }
    [JsonPropertyName("warmup_start_lr")] public double WarmupStartLr { get; init; }
    [JsonPropertyName("resume_checkpoint")] public string? ResumeCheckpoint { get; init; }
    /// <summary>[width, height] of the network input.</summary>
    [JsonPropertyName("image_shape")] public int[] ImageShape { get; init; } = [224, 224];
    [JsonPropertyName("image_mean")] public double[] ImageMean { get; init; } = [0.485, 0.456, 0.406];
    [JsonPropertyName("image_std")] public double[] ImageStd { get; init; } = [0.229, 0.224, 0.225];
    [JsonPropertyName("horizontal_flip")] public bool HorizontalFlip { get; init; } = true;
    [JsonPropertyName("horizontal_flip_prob")] public double HorizontalFlipProb { get; init; } = 0.5;
    [JsonPropertyName("vertical_flip")] public bool VerticalFlip { get; init; } = true;
    [JsonPropertyName("vertical_flip_prob")] public double VerticalFlipProb { get; init; }
    [JsonPropertyName("rotate")] public bool Rotate { get; init; }
    [JsonPropertyName("rotate_prob")] public double RotateProb { get; init; } = 0.5;
    [JsonPropertyName("rotate_range")] public double RotateRange { get; init; } = 30;
    [JsonPropertyName("brightness")] public bool Brightness { get; init; } = true;
    [JsonPropertyName("brightness_range")] public double BrightnessRange { get; init; } = 0.9;
    [JsonPropertyName("brightness_prob")] public double BrightnessProb { get; init; } = 0.5;
    [JsonPropertyName("contrast")] public bool Contrast { get; init; } = true;
    [JsonPropertyName("contrast_range")] public double ContrastRange { get; init; } = 0.9;
    [JsonPropertyName("contrast_prob")] public double ContrastProb { get; init; } = 0.5;
    [JsonPropertyName("saturation")] public bool Saturation { get; init; } = true;
    [JsonPropertyName("saturation_range")] public double SaturationRange { get; init; } = 0.9;
    [JsonPropertyName("saturation_prob")] public double SaturationProb { get; init; } = 0.5;
    [JsonPropertyName("hue")] public bool Hue { get; init; } = true;
    [JsonPropertyName("hue_range")] public double HueRange { get; init; } = 18;
    [JsonPropertyName("hue_prob")] public double HueProb { get; init; } = 0.5;

    // ---- segmentation (PaddleX's names, docs/api-behaviour.md §5) ----

    /// <summary>Backbone of the segmentation model (DeepLabV3P); null = the model's default.</summary>
    [JsonPropertyName("backbone")] public string? Backbone { get; init; }
    /// <summary>[dice, bce]: add a Dice loss and/or a per-class binary cross-entropy to the cross-entropy.</summary>
    [JsonPropertyName("loss_type")] public bool[] LossType { get; init; } = [false, false];
    /// <summary>SGD (momentum) or Adam.</summary>
    [JsonPropertyName("optimizer")] public string Optimizer { get; init; } = "SGD";
    [JsonPropertyName("blur")] public bool Blur { get; init; }
    [JsonPropertyName("blur_prob")] public double BlurProb { get; init; } = 0.1;
    [JsonPropertyName("scale_aspect")] public bool ScaleAspect { get; init; }
    [JsonPropertyName("min_ratio")] public double MinRatio { get; init; } = 0.5;
    [JsonPropertyName("aspect_ratio")] public double AspectRatio { get; init; } = 0.33;

    // ---- detection and instance segmentation (PaddleX's names, docs/api-behaviour.md §5; defaults as the stored Params) ----

    /// <summary>MixupImage (YOLO family) during the first ⌊num_epochs · 25/27⌋ epochs, factor ~ Beta(mixup_alpha, mixup_beta).</summary>
    [JsonPropertyName("use_mixup")] public bool UseMixup { get; init; } = true;
    [JsonPropertyName("mixup_alpha")] public double MixupAlpha { get; init; } = 1.5;
    [JsonPropertyName("mixup_beta")] public double MixupBeta { get; init; } = 1.5;
    /// <summary>RandomExpand (YOLO family): a canvas up to 4× larger filled with the mean colour, with <c>expand_prob</c>.</summary>
    [JsonPropertyName("expand_image")] public bool ExpandImage { get; init; } = true;
    [JsonPropertyName("expand_prob")] public double ExpandProb { get; init; } = 0.5;
    /// <summary>RandomCrop (YOLO family): SSD-style IoU-constrained crops.</summary>
    [JsonPropertyName("crop_image")] public bool CropImage { get; init; } = true;
    /// <summary>Multi-scale training (YOLO family): every batch is resized to one size drawn from <c>random_shape_sizes</c>.</summary>
    [JsonPropertyName("random_shape")] public bool RandomShape { get; init; } = true;
    [JsonPropertyName("random_shape_sizes")] public int[] RandomShapeSizes { get; init; } = [320, 352, 384, 416, 448, 480, 512, 544, 576, 608];
    /// <summary>R-CNN with a feature pyramid: batches are padded to a multiple of 32.</summary>
    [JsonPropertyName("with_fpn")] public bool WithFpn { get; init; } = true;
    /// <summary>YOLO family: factor on the anchors, which PaddleX sizes for 608-pixel inputs (1 = PaddleX's). Not a
    /// PaddleX parameter: for objects that stay small at a small <c>image_shape</c>, e.g. side / 608.</summary>
    [JsonPropertyName("anchor_scale")] public double AnchorScale { get; init; } = 1;
    /// <summary>YOLO family: the objectness every prediction starts at (0 = PaddleX's initialisation, about 0.5). Not
    /// a PaddleX parameter: 0.01 steadies a network trained from scratch (see docs/vision.md).</summary>
    [JsonPropertyName("objectness_prior")] public double ObjectnessPrior { get; init; }

    // ---- engine settings (not PaddleX params) ----

    /// <summary>Intra-op threads for libtorch (0 = leave libtorch's default).</summary>
    [JsonPropertyName("torch_threads")] public int TorchThreads { get; init; }
    /// <summary>Parallel image decoders feeding the training loop.</summary>
    [JsonPropertyName("decode_workers")] public int DecodeWorkers { get; init; } = 2;
    [JsonPropertyName("prefetch_batches")] public int PrefetchBatches { get; init; } = 3;
    /// <summary>Seed of the shuffle, augmentation and weight initialisation.</summary>
    [JsonPropertyName("seed")] public int Seed { get; init; } = 1;
    /// <summary>A [TRAIN] line every N steps (PaddleX GUI: 2).</summary>
    [JsonPropertyName("log_interval_steps")] public int LogIntervalSteps { get; init; } = 2;
    /// <summary>The workspace's pretrain folder: named weights searched first (e.g. <c>IMAGENET/ResNet18.pth</c>), and where
    /// the built-in weights are cached.</summary>
    [JsonPropertyName("pretrain_dir")] public string? PretrainDir { get; init; }
    /// <summary>The operator's weights catalog folder, searched after <see cref="PretrainDir"/> (same naming).</summary>
    [JsonPropertyName("weights_catalog")] public string? WeightsCatalog { get; init; }
    [JsonPropertyName("momentum")] public double Momentum { get; init; } = 0.9;
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 1e-4;
    [JsonPropertyName("eval_batch_size")] public int EvalBatchSize { get; init; }
    /// <summary>Faster / Mask R-CNN: RoIs sampled per training picture (0 = PaddleX's 512); fewer make small runs cheaper.</summary>
    [JsonPropertyName("rcnn_rois_per_image")] public int RcnnRoisPerImage { get; init; }
    /// <summary>Faster / Mask R-CNN with FPN: channels of the feature pyramid, the RPN head and the RoI features (0 = 256).</summary>
    [JsonPropertyName("rcnn_fpn_channels")] public int RcnnFpnChannels { get; init; }
    /// <summary>Mask R-CNN: channels of the mask branch's convolutions (0 = 256).</summary>
    [JsonPropertyName("rcnn_mask_channels")] public int RcnnMaskChannels { get; init; }

    /// <summary>Pruned retraining: the parent's trained model folder, pruned before training starts.</summary>
    [JsonPropertyName("prune_checkpoint")] public string? PruneCheckpoint { get; init; }
    /// <summary>Pruned retraining: the parent's sensitivities.json.</summary>
    [JsonPropertyName("sensitivities_path")] public string? SensitivitiesPath { get; init; }
    /// <summary>Pruned retraining: the share of FLOPs to remove, in (0, 1).</summary>
    [JsonPropertyName("pruned_flops")] public double? PrunedFlops { get; init; }
    /// <summary>Pruned retraining without <see cref="PrunedFlops"/>: the tolerated relative metric loss per group.</summary>
    [JsonPropertyName("eval_metric_loss")] public double? EvalMetricLoss { get; init; }

    public static TrainParams FromJson(string json) =>
        JsonSerializer.Deserialize<TrainParams>(json, JsonOptions) ?? throw new JsonException("empty params");

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        WriteIndented = true,
    };

    /// <summary>True when a GPU was requested (cuda_visible_devices non-empty).</summary>
    [JsonIgnore] public bool WantsCuda => !string.IsNullOrWhiteSpace(CudaVisibleDevices);

    [JsonIgnore] public int Width => ImageShape.Length > 0 ? ImageShape[0] : 224;

    [JsonIgnore] public int Height => ImageShape.Length > 1 ? ImageShape[1] : Width;

    public AugmentOptions ToAugmentOptions() => new()
    {
        HorizontalFlip = HorizontalFlip,
        HorizontalFlipProb = HorizontalFlipProb,
        VerticalFlip = VerticalFlip,
        VerticalFlipProb = VerticalFlipProb,
        Rotate = Rotate,
        RotateProb = RotateProb,
        RotateRange = RotateRange,
        Brightness = Brightness,
        BrightnessRange = BrightnessRange,
        BrightnessProb = BrightnessProb,
        Contrast = Contrast,
        ContrastRange = ContrastRange,
        ContrastProb = ContrastProb,
        Saturation = Saturation,
        SaturationRange = SaturationRange,
        SaturationProb = SaturationProb,
        Hue = Hue,
        HueRange = HueRange,
        HueProb = HueProb,
        Blur = Blur,
        BlurProb = BlurProb,
        ScaleAspect = ScaleAspect,
        MinRatio = MinRatio,
        AspectRatio = AspectRatio,
    };
}
