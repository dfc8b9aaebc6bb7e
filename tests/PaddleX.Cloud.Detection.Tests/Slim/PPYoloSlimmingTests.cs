using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Export.Onnx;
using PaddleX.Cloud.Vision.Quantisation;
using PaddleX.Cloud.Vision.Slim;
using PaddleX.Cloud.Vision.Training;
using TorchSharp;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Detection.Tests.Slim;

/// <summary>
/// Slimming the PP-YOLO family end to end: a PP-YOLO Tiny trained briefly on generated shapes (64 px) is analysed by
/// <c>bbox_map</c> (one ratio, to keep it short), a child with <c>pruned_flops</c> 0.3 retrains, reloads, predicts
/// and exports as the smaller network; the parent's int8 export (QDQ convolutions, float decoding and NMS) is
/// evaluated in ONNX Runtime by the same VOC mAP and passes onnx.checker. A PP-YOLO with DCNv2 (untrained) quantises with its
/// deformable weights stored as int8 and its sampling left float.
/// </summary>
public sealed class PPYoloSlimmingTests(ITestOutputHelper output)
{
    [Fact]
    public void A_trained_PPYOLOTiny_is_analysed_pruned_retrained_exported_and_quantised()
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (_, data) = DetectionShapes.Prepare(new ShapeDetectionOptions { Count = 24, MinSide = 64, MaxSide = 80, MaxObjects = 2, Seed = 21 }, valSplit: 0.25, testSplit: 0);
        string root = TempFolders.Create("pdx-ppyolo-slim-");
        try
        {
            var p = Yolo.YoloTrainingTests.Recipe(epochs: 3, side: 64, batch: 6) with
            {
                Model = "PPYOLOTiny",
                Backbone = "MobileNetV3",
                LearningRate = 0.002,
                LrDecayEpochs = [3],
                WarmupSteps = 2,
            };
            var parent = Trainers.For("detection").Run(new TrainingRequest { Params = p, DatasetDir = data, OutputDir = Path.Combine(root, "parent") });
            output.WriteLine($"parent bbox_map {parent.BestAcc1:0.0000} at epoch {parent.BestEpoch} ({Cpu(cpu)})");

            var pruneDir = Path.Combine(root, "prune");
            // One ratio per group keeps the analysis short; the HTTP flow test runs all nine.
            var request = new SensitivityRequest { Params = p, TaskType = "detection", DatasetDir = data, CheckpointDir = parent.BestModelDir!, OutputDir = pruneDir, Log = new StringWriter(), Ratios = [0.5] };
            var sensitivities = SensitivityAnalysis.Run(request, CancellationToken.None);
            output.WriteLine($"sensitivities: {sensitivities.Groups.Count} groups ({Cpu(cpu)})");
            Assert.Equal("bbox_map", sensitivities.Metric);
            Assert.True(sensitivities.Complete);

            // One epoch at half the rate, from the parent's weights cut to 70 % of its FLOPs.
            var retraining = p with { PruneCheckpoint = parent.BestModelDir, SensitivitiesPath = Path.Combine(pruneDir, Sensitivities.FileName), PrunedFlops = 0.3 };
            retraining = retraining with { NumEpochs = 1, LrDecayEpochs = [1], LearningRate = 0.001, WarmupSteps = 0 };
            var childLog = new StringWriter();
            var child = Trainers.For("detection").Run(new TrainingRequest { Params = retraining, DatasetDir = data, OutputDir = Path.Combine(root, "child"), Log = childLog });
            output.WriteLine(childLog.ToString().Split('\n').FirstOrDefault(l => l.Contains("Pruned ", StringComparison.Ordinal)));
            output.WriteLine($"child bbox_map {child.BestAcc1:0.0000} ({Cpu(cpu)})");
            Assert.Contains("Pruned PPYOLOTiny at 64x64", childLog.ToString(), StringComparison.Ordinal);

            using (var predictor = new DetectionPredictor(child.BestModelDir!))
            {
                Assert.Equal("PPYOLOTiny", predictor.Detector.Architecture);
            }

            var parentInfo = ExportFolder.Write(parent.BestModelDir!, Path.Combine(root, "parent-export"), OnnxWeights.Float32);
            var info = ExportFolder.Write(child.BestModelDir!, Path.Combine(root, "child-export"), OnnxWeights.Float32);
            output.WriteLine($"FLOPs {parentInfo.Flops:N0} -> {info.Flops:N0}, parameters {parentInfo.Parameters:N0} -> {info.Parameters:N0}");
            Assert.True(info.Pruned);
            Assert.True(info.Flops <= parentInfo.Flops * 0.7, $"FLOPs {info.Flops} vs {parentInfo.Flops}");
            Assert.Equal(parentInfo.Flops, info.Pruning!.BaseFlops);

            // int8 of the parent: evaluated in ONNX Runtime by the training's VOC mAP, under a third of the file. (A pruned
            // Tiny at this size has so few weights per channel — depthwise 5×5 — that the per-channel scales and int32
            // biases take it to 31 % of its float32 file; the HTTP flow test quantises a pruned PP-YOLO.)
            var quant = QuantisedExport.Run(parent.BestModelDir!, data, Path.Combine(root, "int8"), new QuantisationOptions(CalibrationMethod.Kl, 8), _ => { });
            var int8File = Path.Combine(root, "int8", ExportFolder.OnnxFile);
            long int8Size = new FileInfo(int8File).Length, floatSize = new FileInfo(Path.Combine(root, "parent-export", ExportFolder.OnnxFile)).Length;
            output.WriteLine($"int8: bbox_map {quant.Before["bbox_map"]:0.0000} -> {quant.After["bbox_map"]:0.0000}, {int8Size:N0} of {floatSize:N0} bytes ({100.0 * int8Size / floatSize:0.0} %) ({Cpu(cpu)})");
            Assert.Equal(parent.BestAcc1, quant.Before["bbox_map"], 2);
            Assert.InRange(quant.After["bbox_map"], 0, 1);
            Assert.True(int8Size <= floatSize * 0.3, $"{int8Size} of {floatSize}");
            Assert.Equal("int8", quant.Info.Weights);
            var (code, checker) = OnnxChecker.Check([int8File]);
            Assert.True(code == 0, checker);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
            Directory.Delete(Path.GetDirectoryName(data)!, recursive: true);
        }
    }

    [Fact]
    public void A_PPYOLO_with_DCNv2_quantises_its_deformable_weights_and_keeps_its_sampling_float()
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        const int side = 32;
        torch.manual_seed(4);
        var detector = DetectionModels.Create("PPYOLO", "ResNet50_vd_dcn", 3, new DetectorOptions { InputSize = [side, side] });
        using var module = DetectionModels.AsModule(detector);
        module.eval();
        var floatBytes = DetectionOnnxExporter.Export(detector, side, side);
        var rng = new Random(5);
        var samples = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, 3 * side * side).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToList();
        var int8 = QuantisedExport.QuantiseOnnx(floatBytes, samples, [1, 3, side, side], new QuantisationOptions(CalibrationMethod.MinMax, 2));
        output.WriteLine($"{int8.Length:N0} of {floatBytes.Length:N0} bytes ({100.0 * int8.Length / floatBytes.Length:0.0} %) ({Cpu(cpu)})");
        Assert.True(int8.Length <= floatBytes.Length * 0.3, $"{int8.Length} of {floatBytes.Length}");

        var graph = ModelProto.Parser.ParseFrom(int8).Graph;
        var writers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(x => x.o, x => x.n);
        var matmuls = graph.Node.Where(n => n.OpType == "MatMul").ToList();
        Assert.Equal(3, matmuls.Count); // the three deformable 3×3 convolutions of the last stage
        Assert.All(matmuls, m => Assert.Equal("DequantizeLinear", writers[m.Input[0]].OpType));
        // Back from every sampling grid to the offset convolution, nothing passes through 8 bits (shapes aside).
        var grids = graph.Node.Where(n => n.OpType == "GridSample").ToList();
        Assert.Equal(3, grids.Count);
        foreach (var grid in grids)
        {
            var pending = new Stack<string>([grid.Input[1]]);
            while (pending.TryPop(out var tensor))
            {
                if (writers.TryGetValue(tensor, out var writer) && writer.OpType is not ("Shape" or "Conv"))
                {
                    Assert.NotEqual("DequantizeLinear", writer.OpType);
                    writer.Input.ToList().ForEach(pending.Push);
                }
            }
        }

        var path = Path.Combine(TempFolders.Create("pdx-ppyolo-dcn-int8-"), "model.onnx");
        try
        {
            File.WriteAllBytes(path, int8);
            using var session = new InferenceSession(int8, QuantisedExport.SessionOptions());
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(DetectionOnnxExporter.InputName, new DenseTensor<float>(samples[0], [1, 3, side, side]))]);
            Assert.Equal(new[] { DetectionOnnxExporter.BoxesName, DetectionOnnxExporter.ScoresName, DetectionOnnxExporter.ClassesName }.Order(), results.Select(r => r.Name).Order());
            var (code, checker) = OnnxChecker.Check([path]);
            Assert.True(code == 0, checker);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }

        output.WriteLine(Cpu(cpu));
    }

    private static string Cpu(TimeSpan start) => $"{(Process.GetCurrentProcess().TotalProcessorTime - start).TotalSeconds:F1} s CPU";
}
