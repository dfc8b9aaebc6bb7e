using Microsoft.ML.OnnxRuntime;

namespace PaddleX.Cloud.Vision.Quantisation;

/// <summary>The pictures an int8 export works on, prepared the way the task's validation prepares them: training
/// pictures to calibrate on (one at a time) and the validation split scored with the task's own metric.</summary>
internal interface IQuantisationSet
{
    int ValCount { get; }

    int CalibrationCount { get; }

    /// <summary>The calibration inputs, each one picture ([1, C, H, W]).</summary>
    IEnumerable<(float[] Data, int[] Dims)> Calibration(CancellationToken cancellationToken);

    /// <summary>The validation metrics of an exported graph run in ONNX Runtime.</summary>
    Dictionary<string, double> Evaluate(InferenceSession session, CancellationToken cancellationToken);
}
