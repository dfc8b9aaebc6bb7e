using System.Text.Json.Serialization;

namespace PaddleX.Cloud.Inference;

/// <summary>The fields of an export folder's <c>model.json</c> this package reads.</summary>
public sealed record ModelInfo
{
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    /// <summary><c>classification</c>, <c>segmentation</c>, <c>detection</c> or <c>instance_segmentation</c>.</summary>
    [JsonPropertyName("task")] public string Task { get; init; } = "classification";
    /// <summary>How the weights are stored: <c>float32</c>, <c>float16</c> (lite) or <c>int8</c> (quantised;
    /// ONNX Runtime runs its QuantizeLinear/DequantizeLinear graph with int8 kernels, same inputs and outputs).</summary>
    [JsonPropertyName("weights")] public string Weights { get; init; } = "float32";
    [JsonPropertyName("file")] public string File { get; init; } = "model.onnx";
    [JsonPropertyName("labels")] public string[] Labels { get; init; } = [];
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 3;
    [JsonPropertyName("input_size")] public int[] InputSize { get; init; } = [];
    /// <summary>Faster / Mask R-CNN: [short, max] of the aspect-keeping resize before the picture is padded to
    /// <see cref="InputSize"/>; null when the picture is resized to <see cref="InputSize"/>.</summary>
    /// <summary>How the picture is resized to the input: <c>linear</c> or <c>cubic</c> (OpenCV's a = −0.75 kernel).</summary>
    [JsonPropertyName("interpolation")] public string Interpolation { get; init; } = "linear";

    [JsonPropertyName("resize_by_short")] public int[]? ResizeByShort { get; init; }
    [JsonPropertyName("mean")] public double[] Mean { get; init; } = [];
    [JsonPropertyName("std")] public double[] Std { get; init; } = [];
    [JsonPropertyName("input")] public string Input { get; init; } = "image";
}
