namespace PaddleX.Cloud.Vision.Data;

/// <summary>
/// Classification augmentation switches with PaddleX semantics (docs/api-behaviour.md §5): every transform is applied
/// to a sample with its own probability; a switched-off transform has probability 0.
/// <list type="bullet">
/// <item>flips: mirror with <c>*_flip_prob</c>;</item>
/// <item>rotate: angle uniform in [−rotate_range, +rotate_range] degrees with <c>rotate_prob</c>;</item>
/// <item>brightness/contrast/saturation: factor uniform in [1 − range, 1 + range] with <c>*_prob</c>
/// (brightness scales pixels, contrast blends with the mean grey level, saturation with the per-pixel grey);</item>
/// <item>hue: shift uniform in [−hue_range, +hue_range] degrees with <c>hue_prob</c>.</item>
/// </list>
/// </summary>
public sealed record AugmentOptions
{
    public bool HorizontalFlip { get; init; }
    public double HorizontalFlipProb { get; init; } = 0.5;
    public bool VerticalFlip { get; init; }
    public double VerticalFlipProb { get; init; }
    public bool Rotate { get; init; }
    public double RotateProb { get; init; } = 0.5;
    public double RotateRange { get; init; } = 30;
    public bool Brightness { get; init; }
    public double BrightnessRange { get; init; } = 0.9;
    public double BrightnessProb { get; init; } = 0.5;
    public bool Contrast { get; init; }
    public double ContrastRange { get; init; } = 0.9;
    public double ContrastProb { get; init; } = 0.5;
    public bool Saturation { get; init; }
    public double SaturationRange { get; init; } = 0.9;
    public double SaturationProb { get; init; } = 0.5;
    public bool Hue { get; init; }
    public double HueRange { get; init; } = 18;
    public double HueProb { get; init; } = 0.5;

    // Segmentation only (PaddleX RandomBlur and RandomScaleAspect).

    /// <summary>Gaussian blur (3×3 or 5×5 kernel, picked at random) with <c>blur_prob</c>.</summary>
    public bool Blur { get; init; }
    public double BlurProb { get; init; } = 0.1;

    /// <summary>Crop a random window of area ≥ <c>min_ratio</c> and aspect within [aspect_ratio, 1/aspect_ratio]
    /// (10 tries), picture and label map alike, before resizing.</summary>
    public bool ScaleAspect { get; init; }
    public double MinRatio { get; init; } = 0.5;
    public double AspectRatio { get; init; } = 0.33;

    /// <summary>No augmentation (evaluation).</summary>
    public static AugmentOptions None { get; } = new();

    internal double EffectiveProb(bool on, double prob) => on ? Math.Clamp(prob, 0, 1) : 0;
}
