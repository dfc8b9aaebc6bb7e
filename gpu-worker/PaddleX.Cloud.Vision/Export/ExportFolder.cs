using System.Text.Json;
using System.Text.Json.Serialization;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Models.Segmentation;
using PaddleX.Cloud.Vision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Export;

/// <summary>The <c>model.json</c> beside an exported <c>model.onnx</c>: what a deployment needs to
/// prepare a picture and read the output.</summary>
public sealed record ExportedModelInfo
{
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    /// <summary><c>classification</c>, <c>segmentation</c> (remote-sensing segmentation included), <c>detection</c> or
    /// <c>instance_segmentation</c> (Mask R-CNN: the <c>masks</c> output).</summary>
    [JsonPropertyName("task")] public string Task { get; init; } = "classification";
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "classifier";
    /// <summary>The segmentation backbone (DeepLabV3P); null for models without a backbone choice.</summary>
    [JsonPropertyName("backbone")] public string? Backbone { get; init; }
    [JsonPropertyName("format")] public string Format { get; init; } = "onnx";
    [JsonPropertyName("weights")] public string Weights { get; init; } = "float32";
    [JsonPropertyName("opset")] public int Opset { get; init; } = OnnxExporter.Opset;
    [JsonPropertyName("file")] public string File { get; init; } = "model.onnx";
    [JsonPropertyName("labels")] public string[] Labels { get; init; } = [];
    /// <summary>Bands of the input: 3 (RGB) or a remote-sensing image's band count.</summary>
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 3;
    /// <summary>[width, height] the network was trained at.</summary>
    [JsonPropertyName("input_size")] public int[] InputSize { get; init; } = [];
    /// <summary>Faster / Mask R-CNN: [short, max] of the resize by the short side that comes before the padding to
    /// <see cref="InputSize"/> (the picture keeps its aspect); absent for models that resize to <see cref="InputSize"/>.</summary>
    [JsonPropertyName("resize_by_short")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int[]? ResizeByShort { get; init; }
    /// <summary>Whether the graph takes any height and width (allowed by the model) or only <see cref="InputSize"/>.</summary>
    [JsonPropertyName("dynamic_size")] public bool DynamicSize { get; init; } = true;
    /// <summary>How the picture is resized to the input: <c>linear</c> or <c>cubic</c> (OpenCV's kernels, pixel centres
    /// at +0.5), the one evaluation used; the inference package resizes so.</summary>
    [JsonPropertyName("interpolation")] public string Interpolation { get; init; } = "linear";
    /// <summary>Per band, in units of pixel/255.</summary>
    [JsonPropertyName("mean")] public double[] Mean { get; init; } = [];
    [JsonPropertyName("std")] public double[] Std { get; init; } = [];
    [JsonPropertyName("input")] public string Input { get; init; } = OnnxExporter.InputName;
    [JsonPropertyName("outputs")] public string[] Outputs { get; init; } = [OnnxExporter.LogitsName, OnnxExporter.ProbabilitiesName];
    /// <summary>Whether channels were removed by pruned retraining; <see cref="Pruning"/> then says how.</summary>
    [JsonPropertyName("pruned")] public bool Pruned { get; init; }
    /// <summary>Multiply-accumulates of the convolutions and fully connected layers at <see cref="InputSize"/>.</summary>
    [JsonPropertyName("flops")] public long Flops { get; init; }
    [JsonPropertyName("parameters")] public long Parameters { get; init; }
    [JsonPropertyName("pruning")] public Slim.PruningInfo? Pruning { get; init; }
    /// <summary>Set for an int8 export (<c>quant: true</c>): how it was quantised; absent otherwise.</summary>
    [JsonPropertyName("quantisation")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Quantisation.QuantisationInfo? Quantisation { get; init; }
    /// <summary>The steps, in order, that turn a decoded picture into the input tensor.</summary>
    [JsonPropertyName("preprocessing")] public string[] Preprocessing { get; init; } =
        ["decode RGB", "resize to input_size (bilinear, aspect not kept)", "scale to [0,1]", "subtract mean, divide by std per channel", "layout NCHW float32"];

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
}

/// <summary>Exports a checkpoint folder (model.dat + trainer_state.json) as <c>model.onnx</c> + <c>model.json</c>;
/// the checkpoint's task (classification, segmentation, remote_segmentation, detection) chooses the exporter.</summary>
public static class ExportFolder
{
    public const string OnnxFile = "model.onnx";
    public const string InfoFile = "model.json";

    public static ExportedModelInfo Write(string checkpointDir, string saveDir, OnnxWeights weights)
    {
        var (bytes, info) = Build(checkpointDir, weights);
        Save(saveDir, bytes, info);
        return info;
    }

    /// <summary>Writes <c>model.onnx</c> and <c>model.json</c> into <paramref name="saveDir"/>.</summary>
    public static void Save(string saveDir, byte[] onnx, ExportedModelInfo info)
    {
        Directory.CreateDirectory(saveDir);
        File.WriteAllBytes(Path.Combine(saveDir, info.File), onnx);
        File.WriteAllText(Path.Combine(saveDir, InfoFile), JsonSerializer.Serialize(info, ExportedModelInfo.Json));
    }

    /// <summary>The ONNX bytes of a checkpoint and the model.json describing them.</summary>
    public static (byte[] Onnx, ExportedModelInfo Info) Build(string checkpointDir, OnnxWeights weights)
    {
        var state = Checkpoints.ReadState(checkpointDir);
        if (state.Task is "detection" or "instance_segmentation")
        {
            return DetectionExport(checkpointDir, state, weights);
        }

        var segmentation = state.Task is "segmentation" or "remote_segmentation";
        using var model = segmentation
            ? SegmentationModels.Create(state.Model, state.Backbone, state.Labels.Length, state.InChannels)
            : ClassificationModels.Create(state.Model, state.Labels.Length, state.Layout);
        Checkpoints.Load(checkpointDir, model);
        model.eval();
        var metadata = new Dictionary<string, string> { ["labels"] = string.Join("\n", state.Labels) };
        var complexity = new Slim.FlopsCounter(model, state.InChannels, state.ImageShape[0], state.ImageShape[1]).Current;
        var info = new ExportedModelInfo
        {
            Model = state.Model,
            Weights = weights == OnnxWeights.Float16 ? "float16" : "float32",
            Labels = state.Labels,
            InputSize = state.ImageShape,
            Mean = state.ImageMean,
            Std = state.ImageStd,
            Pruned = state.Pruning is not null,
            Flops = complexity.Flops,
            Parameters = complexity.Parameters,
            Pruning = state.Pruning,
        };
        byte[] bytes;
        if (segmentation)
        {
            bytes = SegmentationOnnxExporter.Export(model, state.Model, state.Labels.Length, state.InChannels, state.ImageShape, weights, metadata, state.Task);
            info = info with
            {
                Task = state.Task,
                ModelType = "segmenter",
                Backbone = SegmentationModels.ResolveBackbone(state.Model, state.Backbone),
                InChannels = state.InChannels,
                DynamicSize = model is not IFixedSizeExport,
                Outputs = [SegmentationOnnxExporter.LogitsName, SegmentationOnnxExporter.LabelMapName, SegmentationOnnxExporter.ProbabilitiesName],
                Preprocessing = state.InChannels == 3 && state.Task == "segmentation"
                    ? info.Preprocessing
                    : ["decode every band (multi-band TIFF)", "resize to input_size (bilinear, aspect not kept)", "scale to [0,1] (value/255)", "subtract mean, divide by std per band", "layout NCHW float32"],
            };
        }
        else
        {
            bytes = OnnxExporter.Export(model, state.Model, state.Labels.Length, weights, metadata);
        }

        return (bytes, info);
    }

    /// <summary>A detector with its post-processing in the graph, for one picture at the training size. R-CNN pictures
    /// keep their aspect (resize by the short side), so their graph takes a square of the longest side (rounded up to the
    /// pyramid's stride) with the picture in its top-left corner.</summary>
    private static (byte[] Bytes, ExportedModelInfo Info) DetectionExport(string checkpointDir, CheckpointState state, OnnxWeights weights)
    {
        using var predictor = new DetectionPredictor(checkpointDir);
        var pipeline = DetectionPipeline.ForEvaluation(DetectionPredictor.ParamsOf(state));
        int width = state.ImageShape[0], height = state.ImageShape[1];
        int[]? resizeByShort = null;
        var interpolation = pipeline.EvalInterpolation.ToString().ToLowerInvariant();
        if (pipeline.Kind == DetectionPipelineKind.Rcnn)
        {
            resizeByShort = [Math.Min(width, height), Math.Max(width, height)];
            var stride = Math.Max(pipeline.PadStride, 1);
            width = height = (resizeByShort[1] + stride - 1) / stride * stride;
        }

        var bytes = DetectionOnnxExporter.Export(predictor.Detector, width, height, weights, new Dictionary<string, string> { ["labels"] = string.Join("\n", state.Labels) });
        // The YOLO family runs its layers in one forward pass (counted like the other families); R-CNN models do not.
        var module = DetectionModels.AsModule(predictor.Detector);
        var complexity = module is nn.Module<Tensor, Tensor[]> ? new Slim.FlopsCounter(module, 3, width, height).Current : default;
        var info = new ExportedModelInfo
        {
            Pruned = state.Pruning is not null,
            Flops = complexity.Flops,
            Parameters = complexity.Parameters,
            Pruning = state.Pruning,
            Model = state.Model,
            Task = state.Task,
            ModelType = "detector",
            Backbone = predictor.Detector.Backbone,
            Weights = weights == OnnxWeights.Float16 ? "float16" : "float32",
            Labels = state.Labels,
            InputSize = [width, height],
            ResizeByShort = resizeByShort,
            DynamicSize = false,
            Mean = state.ImageMean,
            Std = state.ImageStd,
            Outputs = predictor.Detector.ProducesMasks
                ? [DetectionOnnxExporter.BoxesName, DetectionOnnxExporter.ScoresName, DetectionOnnxExporter.ClassesName, DetectionOnnxExporter.MasksName]
                : [DetectionOnnxExporter.BoxesName, DetectionOnnxExporter.ScoresName, DetectionOnnxExporter.ClassesName],
            Interpolation = interpolation,
            Preprocessing = resizeByShort is null
                ? ["decode RGB", $"resize to input_size ({interpolation}, aspect not kept)", "scale to [0,1]", "subtract mean, divide by std per channel",
                    "layout NCHW float32, one picture", "boxes come back in input pixels: divide x by input width / picture width, y likewise"]
                : ["decode RGB", $"resize ({interpolation}, aspect kept) so the short side is resize_by_short[0] unless the long side would pass resize_by_short[1], then the long side is that",
                    "scale to [0,1]", "subtract mean, divide by std per channel", "place at the top left of an input_size canvas of zeros",
                    "layout NCHW float32, one picture", "boxes come back in input pixels: divide by the resize factor"],
        };
        return (bytes, info);
    }
}
