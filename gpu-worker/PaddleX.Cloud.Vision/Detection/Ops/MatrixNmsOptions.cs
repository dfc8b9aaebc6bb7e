namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>Matrix NMS settings, named and defaulted as PaddleDetection's <c>MatrixNMS</c>, except
/// <see cref="BackgroundLabel"/> (−1: our labels have no background class, as for every YOLO model there).</summary>
/// <param name="ScoreThreshold">Candidates need a class score above this.</param>
/// <param name="PostThreshold">Detections need a decayed score above this.</param>
/// <param name="NmsTopK">Most candidates per class, by score (−1: all).</param>
/// <param name="KeepTopK">Most detections per image, by decayed score (−1: all).</param>
/// <param name="UseGaussian">Gaussian decay exp((maxIoU² − IoU²)·σ) instead of linear (1 − IoU)/(1 − maxIoU).</param>
/// <param name="GaussianSigma">σ of the Gaussian decay (a factor, as PaddlePaddle applies it).</param>
/// <param name="Normalized">Boxes in [0, 1] coordinates; false = pixel boxes, whose widths count both end pixels (+1).</param>
/// <param name="BackgroundLabel">A class column to skip (−1: none).</param>
public sealed record MatrixNmsOptions(
    double ScoreThreshold = 0.05,
    double PostThreshold = 0.05,
    int NmsTopK = -1,
    int KeepTopK = 100,
    bool UseGaussian = false,
    double GaussianSigma = 2.0,
    bool Normalized = false,
    int BackgroundLabel = -1);
