namespace PaddleX.Cloud.Vision.Quantisation;

/// <summary>How an activation's float range is chosen from what calibration saw.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen: nothing clips, outliers widen the steps.</summary>
    MinMax,

    /// <summary>The clipping threshold whose 8-bit histogram is closest (Kullback–Leibler) to the seen
    /// distribution of |x| (entropy calibration): a few outliers clip, the bulk gets finer steps.</summary>
    Kl,

    /// <summary>The 99.99th percentile of |x|.</summary>
    Percentile,
}

/// <summary>What an int8 export is calibrated with.</summary>
/// <param name="Method">the range rule for activations.</param>
/// <param name="CalibrationImages">training images run (batch 1) to collect the activation statistics.</param>
public sealed record QuantisationOptions(CalibrationMethod Method = CalibrationMethod.Kl, int CalibrationImages = 32)
{
    public const int MaxCalibrationImages = 500;

    /// <summary>The method's wire name: <c>kl</c>, <c>minmax</c> or <c>percentile</c>.</summary>
    public string MethodName => Name(Method);

    public static string Name(CalibrationMethod method) => method switch
    {
        CalibrationMethod.MinMax => "minmax",
        CalibrationMethod.Percentile => "percentile",
        _ => "kl",
    };

    /// <summary>Reads a method's wire name; a missing one means <c>kl</c>, an unknown one null.</summary>
    public static CalibrationMethod? ParseMethod(string? name) => name switch
    {
        null or "" or "kl" => CalibrationMethod.Kl,
        "minmax" => CalibrationMethod.MinMax,
        "percentile" => CalibrationMethod.Percentile,
        _ => null,
    };
}
