using System.Text.Json;
using System.Text.Json.Serialization;
using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Export;

/// <summary>The <c>model.json</c> beside an exported <c>model.onnx</c>: what a deployment needs to
/// prepare a picture and read the output.</summary>
public sealed record ExportedModelInfo
{
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "classifier";
    [JsonPropertyName("format")] public string Format { get; init; } = "onnx";
    [JsonPropertyName("weights")] public string Weights { get; init; } = "float32";
    [JsonPropertyName("opset")] public int Opset { get; init; } = OnnxExporter.Opset;
    [JsonPropertyName("file")] public string File { get; init; } = "model.onnx";
    [JsonPropertyName("labels")] public string[] Labels { get; init; } = [];
    /// <summary>[width, height] the network was trained at.</summary>
    [JsonPropertyName("input_size")] public int[] InputSize { get; init; } = [];
    [JsonPropertyName("mean")] public double[] Mean { get; init; } = [];
    [JsonPropertyName("std")] public double[] Std { get; init; } = [];
    [JsonPropertyName("input")] public string Input { get; init; } = OnnxExporter.InputName;
    [JsonPropertyName("outputs")] public string[] Outputs { get; init; } = [OnnxExporter.LogitsName, OnnxExporter.ProbabilitiesName];
    /// <summary>The steps, in order, that turn a decoded picture into the input tensor.</summary>
    [JsonPropertyName("preprocessing")] public string[] Preprocessing { get; init; } =
        ["decode RGB", "resize to input_size (bilinear, aspect not kept)", "scale to [0,1]", "subtract mean, divide by std per channel", "layout NCHW float32"];

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
}

/// <summary>Exports a checkpoint folder (model.dat + trainer_state.json) as <c>model.onnx</c> + <c>model.json</c>.</summary>
public static class ExportFolder
{
    public const string OnnxFile = "model.onnx";
    public const string InfoFile = "model.json";

    public static ExportedModelInfo Write(string checkpointDir, string saveDir, OnnxWeights weights)
    {
        var state = Checkpoints.ReadState(checkpointDir);
        using var model = ClassificationModels.Create(state.Model, state.Labels.Length, state.Layout);
        Checkpoints.Load(checkpointDir, model);
        model.eval();
        var bytes = OnnxExporter.Export(model, state.Model, state.Labels.Length, weights, new Dictionary<string, string> { ["labels"] = string.Join("\n", state.Labels) });
        Directory.CreateDirectory(saveDir);
        var info = new ExportedModelInfo
        {
            Model = state.Model,
            Weights = weights == OnnxWeights.Float16 ? "float16" : "float32",
            Labels = state.Labels,
            InputSize = state.ImageShape,
            Mean = state.ImageMean,
            Std = state.ImageStd,
        };
        File.WriteAllBytes(Path.Combine(saveDir, OnnxFile), bytes);
        File.WriteAllText(Path.Combine(saveDir, InfoFile), JsonSerializer.Serialize(info, ExportedModelInfo.Json));
        return info;
    }
}
