using System.Text.Json.Serialization;

namespace PaddleX.Cloud.Vision.Quantisation;

/// <summary>The <c>quantisation</c> section of an int8 export's <c>model.json</c>.</summary>
public sealed record QuantisationInfo
{
    [JsonPropertyName("quantised")] public bool Quantised { get; init; } = true;
    [JsonPropertyName("precision")] public string Precision { get; init; } = "int8";
    /// <summary>QDQ: QuantizeLinear/DequantizeLinear pairs that runtimes fuse into int8 kernels.</summary>
    [JsonPropertyName("format")] public string Format { get; init; } = "qdq";
    /// <summary><c>kl</c>, <c>minmax</c> or <c>percentile</c>.</summary>
    [JsonPropertyName("calibration_method")] public string CalibrationMethod { get; init; } = "kl";
    [JsonPropertyName("calibration_images")] public int CalibrationImages { get; init; }
    /// <summary>Activations: per-tensor asymmetric <c>uint8</c> or <c>int8</c>.</summary>
    [JsonPropertyName("activations")] public string Activations { get; init; } = "uint8";
    /// <summary>Weights: symmetric int8 per output channel; biases int32.</summary>
    [JsonPropertyName("weights")] public string Weights { get; init; } = "int8 per-channel symmetric";
    [JsonPropertyName("file_size")] public long FileSize { get; init; }
    [JsonPropertyName("float32_file_size")] public long Float32FileSize { get; init; }
}
