namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// Faster R-CNN hyper-parameters with PaddleX 2.1's defaults (its <c>FasterRCNN</c> constructor and the PaddleDetection
/// modules it configures). <see cref="ForC4"/> gives the values PaddleX uses without FPN.
/// </summary>
public sealed record RcnnSettings
{
    /// <summary>Anchor sizes (√area, input pixels) per RPN level.</summary>
    public IReadOnlyList<IReadOnlyList<double>> AnchorSizes { get; init; } = [[32], [64], [128], [256], [512]];

    public IReadOnlyList<double> AspectRatios { get; init; } = [0.5, 1.0, 2.0];

    public long FpnChannels { get; init; } = 256;

    public int RpnPreNmsTopNTrain { get; init; } = 2000;

    public int RpnPostNmsTopNTrain { get; init; } = 1000;

    public int RpnPreNmsTopNTest { get; init; } = 1000;

    public int RpnPostNmsTopNTest { get; init; } = 1000;

    public double RpnNmsThreshold { get; init; } = 0.7;

    public int RpnBatchPerImage { get; init; } = 256;

    public double RpnFgFraction { get; init; } = 0.5;

    public double RpnPositiveOverlap { get; init; } = 0.7;

    public double RpnNegativeOverlap { get; init; } = 0.3;

    public int BoxBatchPerImage { get; init; } = 512;

    public double BoxFgFraction { get; init; } = 0.25;

    public double BoxFgThreshold { get; init; } = 0.5;

    public double BoxBgThreshold { get; init; } = 0.5;

    public int RoiResolution { get; init; } = 7;

    /// <summary>Samples per bin side; 0 adapts to the bin size (PaddleX's setting).</summary>
    public int RoiSamplingRatio { get; init; }

    public bool RoiAligned { get; init; } = true;

    /// <summary>Width of the two fully connected layers of the FPN box head.</summary>
    public long BoxHeadWidth { get; init; } = 1024;

    /// <summary>Mask R-CNN: channels of the mask branch's convolutions.</summary>
    public long MaskHeadChannels { get; init; } = 256;

    public double ScoreThreshold { get; init; } = 0.05;

    public double NmsThreshold { get; init; } = 0.5;

    public int KeepTopK { get; init; } = 100;

    /// <summary>Without FPN: all sizes at stride 16 on stage 3, more proposals, 14×14 RoIs into the last ResNet stage.</summary>
    public static RcnnSettings ForC4 { get; } = new()
    {
        AnchorSizes = [[32, 64, 128, 256, 512]],
        RpnPreNmsTopNTrain = 12000,
        RpnPostNmsTopNTrain = 2000,
        RpnPreNmsTopNTest = 6000,
        RpnPostNmsTopNTest = 1000,
        RoiResolution = 14,
    };
}
