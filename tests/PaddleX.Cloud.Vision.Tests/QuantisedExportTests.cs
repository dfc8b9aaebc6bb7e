using System.Diagnostics;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Quantisation;
using PaddleX.Cloud.Vision.Training;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>int8 export of models that really learned (docs/quantisation.md): the validation metric of the int8
/// graph stays next to the float32 one, the file shrinks to about a quarter, model.json says what it is.</summary>
public sealed class QuantisedExportTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Checkpoints and exports of a few hundred MB: removed after each test.</summary>
    private readonly List<string> folders = [];

    [Theory]
    [InlineData("ResNet18")]
    [InlineData("MobileNetV2")]
    public void Trained_classifier_int8_keeps_top1_within_one_point_at_under_30_percent_of_the_file(string model)
    {
        using var data = new SyntheticDataset(trainPerClass: 25, valPerClass: 25, testPerClass: 0);
        var dir = Folder(TempDir.Create());
        var trained = new ClassificationTrainer().Run(new TrainingRequest { Params = TrainingTests.Small() with { Model = model }, DatasetDir = data.Dir, OutputDir = dir });
        Assert.True(trained.BestAcc1 >= 0.9, $"the classifier did not learn: top-1 {trained.BestAcc1}");

        var (result, log, save) = Quantise(Path.Combine(dir, "best_model"), data.Dir, CalibrationMethod.Kl);
        Assert.Equal(trained.BestAcc1, result.Before["acc1"], 6); // ONNX Runtime float32 = TorchSharp's validation
        Assert.True(Math.Abs(result.After["acc1"] - result.Before["acc1"]) <= 0.01, $"int8 top-1 {result.After["acc1"]:F4} vs float32 {result.Before["acc1"]:F4}");
        Assert.Equal(["acc1", "acc4"], result.After.Keys.Order());
        var (floatSize, int8Size) = (result.Info.Quantisation!.Float32FileSize, new FileInfo(Path.Combine(save, ExportFolder.OnnxFile)).Length);
        Assert.Equal(int8Size, result.Info.Quantisation.FileSize);
        Assert.True(int8Size <= floatSize * 0.3, $"int8 {int8Size} bytes vs float32 {floatSize}");
        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(save, ExportFolder.InfoFile)))!;
        Assert.Equal(("int8", true, "kl", 32), (info["weights"]!.GetValue<string>(), info["quantisation"]!["quantised"]!.GetValue<bool>(),
            info["quantisation"]!["calibration_method"]!.GetValue<string>(), info["quantisation"]!["calibration_images"]!.GetValue<int>()));
        Assert.Equal(32, log.Count(l => l.StartsWith("[Run batch data] Batch=", StringComparison.Ordinal)));
        Assert.Equal("Finish quant!", log.Last(l => !l.StartsWith("int8 metrics", StringComparison.Ordinal) && !l.StartsWith("Evaluating", StringComparison.Ordinal)));
    }

    [Fact]
    public void Trained_UNet_int8_keeps_miou_close()
    {
        var data = SegmentationShapes.Write(Folder(TempDir.Create("pdx-seg-")), train: 32, val: 8, test: 0);
        var dir = Folder(TempDir.Create());
        var trained = new SegmentationTrainer().Run(new TrainingRequest { Params = SegmentationTrainingTests.Recipe(epochs: 3), DatasetDir = data, OutputDir = dir });
        Assert.True(trained.BestAcc1 >= 0.6, $"the segmenter did not learn: mIoU {trained.BestAcc1}");

        var (result, _, save) = Quantise(Path.Combine(dir, "best_model"), data, CalibrationMethod.Percentile);
        Assert.Equal(["miou"], result.Before.Keys);
        Assert.Equal(trained.BestAcc1, result.Before["miou"], 4);
        Assert.True(Math.Abs(result.After["miou"] - result.Before["miou"]) <= 0.02, $"int8 mIoU {result.After["miou"]:F4} vs float32 {result.Before["miou"]:F4}");
        Assert.True(new FileInfo(Path.Combine(save, ExportFolder.OnnxFile)).Length <= result.Info.Quantisation!.Float32FileSize * 0.3);
    }

    private (QuantisationResult Result, List<string> Log, string SaveDir) Quantise(string checkpoint, string dataset, CalibrationMethod method)
    {
        var save = Folder(TempDir.Create("pdx-int8-"));
        var log = new List<string>();
        var clock = Stopwatch.StartNew();
        var result = QuantisedExport.Run(checkpoint, dataset, save, new QuantisationOptions(method), log.Add);
        output.WriteLine($"{method}: before {Format(result.Before)}, after {Format(result.After)}, {result.Info.Quantisation!.FileSize} of {result.Info.Quantisation.Float32FileSize} bytes, {clock.Elapsed.TotalSeconds:F1} s");
        return (result, log, save);
    }

    public void Dispose()
    {
        foreach (var folder in folders.Where(Directory.Exists))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private string Folder(string path)
    {
        folders.Add(path);
        return path;
    }

    private static string Format(Dictionary<string, double> metrics) => string.Join(", ", metrics.Select(m => $"{m.Key}={m.Value:F4}"));
}
