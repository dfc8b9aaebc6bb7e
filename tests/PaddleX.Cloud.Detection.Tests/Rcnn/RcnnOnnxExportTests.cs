using Microsoft.ML.OnnxRuntime;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Detection.Tests.Yolo;
using PaddleX.Cloud.Inference;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Quantisation;
using PaddleX.Cloud.Vision.Training;
using SkiaSharp;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Rcnn;
using PaddleX.Cloud.Vision.Detection.Ops;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace PaddleX.Cloud.Detection.Tests.Rcnn;

/// <summary>Faster R-CNN exported with its whole post-processing in the graph gives in ONNX Runtime the detections
/// TorchSharp gives: the same count and classes, boxes within 1e-3, scores within 1e-4.</summary>
public sealed class RcnnOnnxExportTests(ITestOutputHelper output)
{
    /// <summary>The box heads with and without FPN, on each kind of body: TorchVision's ResNet (FPN: 256×224 px, so
    /// the proposals spread over three pyramid levels of the RoIAlign), ResNet_vd (C4: its last stage per RoI), HRNet
    /// with HRFPN.</summary>
    [Theory]
    [InlineData("ResNet34", true, 256, 224)]
    [InlineData("ResNet50_vd", false, 96, 64)]
    [InlineData("HRNet_W18", true, 96, 64)]
    public void Random_network_exports_detect_what_TorchSharp_detects(string backbone, bool fpn, int width, int height)
    {
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        torch.set_num_threads(2);
        torch.manual_seed(7);
        var settings = (fpn ? new RcnnSettings() : RcnnSettings.ForC4) with { FpnChannels = 32, BoxHeadWidth = 64, RpnPreNmsTopNTest = 300, RpnPostNmsTopNTest = 100 };
        using var model = new FasterRCNN(backbone, 3, fpn, settings);
        Sharpen(model);
        model.eval();
        using var scope = NewDisposeScope();
        var image = randn(1, 3, height, width);
        var expected = model.Detect(image, model.DefaultDetectOptions)[0];
        var bytes = DetectionOnnxExporter.Export(model, width, height);
        var actual = OnnxDetections.Run(bytes, image);
        var proposals = model.Trace(image, [zeros(0, 4)]).Proposals[0];
        var levels = fpn ? new MultiScaleRoiAlign(7, 7, 0).MapLevels([proposals], [0.25, 0.125, 0.0625, 0.03125]).Distinct().Count() : 1;
        output.WriteLine($"{backbone} fpn={fpn}: {expected.Scores.shape[0]} detections in TorchSharp, {actual.Scores.Length} in ONNX Runtime; proposals on {levels} levels; {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} CPU s");
        Assert.InRange(expected.Scores.shape[0], 10, 100);
        Assert.True(width < 200 || levels >= 2, $"the proposals use {levels} pyramid levels");
        OnnxDetections.AssertSame(expected, actual);
        OnnxDetections.AssertChecked(bytes, DetectionOnnxExporter.Export(model, width, height, OnnxWeights.Float16));
    }

    /// <summary>
    /// A Faster R-CNN ResNet34-FPN trained briefly on generated shapes (64 px) and exported from its checkpoint folder:
    /// on every validation picture, as the evaluation pipeline prepares it, ONNX Runtime finds TorchSharp's detections;
    /// and the inference package, given a picture, resizes it by the short side, pads it into the square input and
    /// returns the predictor's detections in the picture's pixels.
    /// </summary>
    [Fact]
    public void A_trained_checkpoint_exports_and_detects_real_pictures_as_TorchSharp_does()
    {
        var start = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var (_, data) = DetectionShapes.Prepare(new ShapeDetectionOptions { Count = 12, MinSide = 64, MaxSide = 112, Seed = 8 }, valSplit: 0.4, testSplit: 0);
        string dir = TempFolders.Create("pdx-rcnn-export");
        var p = YoloTrainingTests.Recipe(epochs: 2, side: 64, batch: 2) with { Model = "FasterRCNN", Backbone = "ResNet34", LearningRate = 0.005 };
        var log = new StringWriter();
        var result = Vision.Training.Trainers.For("detection").Run(new TrainingRequest { Params = p, DatasetDir = data, OutputDir = dir, Log = log });
        Assert.True(result.Outcome == TrainingOutcome.Completed, log.ToString());
        string best = Path.Combine(dir, "best_model"), export = Path.Combine(dir, "export");
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        output.WriteLine($"data and training {(cpu - start).TotalSeconds:F1} CPU s");

        var info = ExportFolder.Write(best, export, OnnxWeights.Float32);
        Assert.Equal([64, 64], info.InputSize);
        Assert.Equal([64, 64], info.ResizeByShort!);
        using var predictor = new DetectionPredictor(best);
        var pipeline = DetectionPipeline.ForEvaluation(DetectionPredictor.ParamsOf(predictor.State));
        using var session = new InferenceSession(Path.Combine(export, ExportFolder.OnnxFile));
        var samples = DetectionDataset.Load(data, "val").Samples;
        int found = 0;
        foreach (var sample in samples)
        {
            using var scope = NewDisposeScope();
            var batch = DetectionBatch.Collate(0, [pipeline.Apply(new DetectionItem(PlanarImage.Load(sample.ImagePath), [], []), null)], pipeline.PadStride);
            var image = batch.ImagesTensor(CPU);
            Assert.Equal([1L, 3, 64, 64], image.shape);
            var expected = predictor.Detector.Detect(image, predictor.Detector.DefaultDetectOptions)[0];
            OnnxDetections.AssertSame(expected, OnnxDetections.Run(session, image));
            found += (int)expected.Scores.shape[0];
        }

        output.WriteLine($"{found} detections on {samples.Count} validation pictures; export and checks {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} CPU s");
        Assert.True(found >= samples.Count, $"only {found} detections: too few to compare");

        // Pictures whose long side is the input size (no resize on either side) and the short side shorter: padded.
        using var deployed = new ExportedDetector(export);
        int compared = 0;
        foreach (var sample in samples)
        {
            using var source = SKBitmap.Decode(sample.ImagePath);
            var (w, h) = ExportedDetector.ShortSideSize(source.Width, source.Height, 64, 64);
            using var picture = source.Resize(new SKImageInfo(w, h), new SKSamplingOptions(SKFilterMode.Linear));
            var want = predictor.Predict(PlanarImage.FromBitmap(picture));
            var got = deployed.Detect(picture);
            OnnxDetections.AssertSame(
                new OnnxDetections([.. want.SelectMany(d => new[] { d.X1, d.Y1, d.X2, d.Y2 })], [.. want.Select(d => d.Score)], [.. want.Select(d => (long)d.Label)]),
                OnnxDetections.Of(got));
            compared += w != h ? got.Count : 0;
        }

        Assert.True(compared > 0, "no detections on a padded picture to compare");

        // int8 is refused before anything is written.
        var refused = Assert.Throws<NotSupportedException>(() => QuantisedExport.Run(best, data, Path.Combine(dir, "int8"), new QuantisationOptions(), _ => { }));
        Assert.Contains("int8 export is not available for FasterRCNN", refused.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "int8")));
    }

    /// <summary>
    /// Mask R-CNN's graph adds the mask head on the final detections: the [K, 1, 28, 28] probabilities, pasted by the
    /// inference package into the picture, equal TorchSharp's pasted masks (within 1e-4) on a picture of the input size;
    /// the graph passes onnx.checker, and a picture without detections gives empty outputs, not an error.
    /// </summary>
    [Fact]
    public void Mask_RCNN_exports_masks_that_the_inference_package_pastes_as_TorchSharp_does()
    {
        torch.set_num_threads(2);
        torch.manual_seed(11);
        var settings = new RcnnSettings { FpnChannels = 32, BoxHeadWidth = 64, MaskHeadChannels = 32, RpnPreNmsTopNTest = 300, RpnPostNmsTopNTest = 100 };
        using var model = new MaskRCNN("ResNet50", 3, settings);
        Sharpen(model);
        model.eval();
        using var scope = NewDisposeScope();
        const int width = 96, height = 64;
        var (picture, image) = RandomPicture(width, height, seed: 4);
        using var bitmap = picture;
        string dir = TempFolders.Create("pdx-mrcnn-export");
        var bytes = DetectionOnnxExporter.Export(model, width, height);
        var info = new ExportedModelInfo { Model = "MaskRCNN", Task = "instance_segmentation", Labels = ["a", "b", "c"], InputSize = [width, height], Mean = [0.5, 0.5, 0.5], Std = [0.5, 0.5, 0.5] };
        ExportFolder.Save(dir, bytes, info);

        var expected = model.Detect(image, model.DefaultDetectOptions)[0];
        using var deployed = new ExportedDetector(dir);
        var got = deployed.Detect(bitmap);
        output.WriteLine($"{expected.Scores.shape[0]} detections in TorchSharp, {got.Count} from the inference package");
        Assert.InRange(got.Count, 5, 100);
        var match = OnnxDetections.AssertSame(expected, OnnxDetections.Of(got));
        var masks = HostArrays.Of<float>(expected.Masks!, ScalarType.Float32);
        double worst = 0;
        for (int i = 0; i < match.Length; i++)
        {
            var mask = got[match[i]].Mask!;
            for (int p = 0; p < width * height; p++)
            {
                worst = Math.Max(worst, Math.Abs(masks[(i * width * height) + p] - mask.At(p % width, p / width)));
            }
        }

        output.WriteLine($"largest mask difference {worst:G3}");
        Assert.True(worst <= 1e-4, $"masks differ by {worst}");
        Assert.Contains(got, d => d.Mask!.ToBinary(width, height).Any(v => v));

        using (no_grad())
        {
            model.named_parameters().Single(p => p.name.EndsWith("cls_score.bias", StringComparison.Ordinal)).parameter[0].add_(1000);
        }

        Assert.Equal(0, model.Detect(image, model.DefaultDetectOptions)[0].Scores.shape[0]);
        var none = DetectionOnnxExporter.Export(model, width, height);
        using var session = new InferenceSession(none);
        var input = new DenseTensor<float>(image.data<float>().ToArray(), [1, 3, height, width]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(DetectionOnnxExporter.InputName, input)]);
        Assert.Equal([0, 1, 28, 28], results.First(r => r.Name == DetectionOnnxExporter.MasksName).AsTensor<float>().Dimensions.ToArray());
        OnnxDetections.AssertChecked(bytes);
    }

    /// <summary>A random opaque picture and its normalised tensor (mean = std = 0.5).</summary>
    private static (SKBitmap Picture, Tensor Image) RandomPicture(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 4];
        new Random(seed).NextBytes(pixels);
        var chw = new float[3 * width * height];
        for (int p = 0; p < width * height; p++)
        {
            pixels[(p * 4) + 3] = 255;
            for (int c = 0; c < 3; c++)
            {
                chw[(c * width * height) + p] = (pixels[(p * 4) + c] * (float)(1.0 / (255 * 0.5))) - 1f;
            }
        }

        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        return (bitmap, tensor(chw, [1, 3, height, width]));
    }

    /// <summary>Spread BatchNorm statistics, and heads scaled up so objectness and class scores are far apart.</summary>
    private static void Sharpen(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var bn in model.modules().OfType<BatchNorm2d>())
        {
            bn.running_mean!.copy_(randn_like(bn.running_mean) * 0.1);
            bn.running_var!.copy_(rand_like(bn.running_var) + 1.0);
        }

        foreach (var (name, p) in model.named_parameters())
        {
            if (name.Contains("cls_logits") || name.Contains("cls_score") || name.Contains("bbox_pred"))
            {
                p.mul_(name.Contains("bbox_pred") ? 20 : 200);
            }
        }
    }
}

/// <summary>An exported detector's outputs in ONNX Runtime, and their comparison with TorchSharp's detections.</summary>
internal sealed record OnnxDetections(float[] Boxes, float[] Scores, long[] Classes)
{
    public static OnnxDetections Run(byte[] model, Tensor image)
    {
        using var session = new InferenceSession(model);
        return Run(session, image);
    }

    public static OnnxDetections Run(InferenceSession session, Tensor image)
    {
        var input = new DenseTensor<float>(image.contiguous().data<float>().ToArray(), image.shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(DetectionOnnxExporter.InputName, input)]);
        return new OnnxDetections(
            results.First(r => r.Name == DetectionOnnxExporter.BoxesName).AsTensor<float>().ToArray(),
            results.First(r => r.Name == DetectionOnnxExporter.ScoresName).AsTensor<float>().ToArray(),
            results.First(r => r.Name == DetectionOnnxExporter.ClassesName).AsTensor<long>().ToArray());
    }

    /// <summary>The same number of detections, sorted by score, and each TorchSharp detection matched one to one with
    /// the closest ONNX one of its class (equal scores may come in another order): boxes within 1e-3, scores 1e-4.</summary>
    public static OnnxDetections Of(IReadOnlyList<DetectedObject> found) =>
        new([.. found.SelectMany(d => new[] { d.X1, d.Y1, d.X2, d.Y2 })], [.. found.Select(d => d.Score)], [.. found.Select(d => (long)d.Index)]);

    public static int[] AssertSame(Detections expected, OnnxDetections actual) =>
        AssertSame(new OnnxDetections(HostArrays.Of<float>(expected.Boxes, ScalarType.Float32), HostArrays.Of<float>(expected.Scores, ScalarType.Float32), HostArrays.Of<long>(expected.Labels, ScalarType.Int64)), actual);

    /// <returns>the index in <paramref name="actual"/> matched to each detection of <paramref name="want"/>.</returns>
    public static int[] AssertSame(OnnxDetections want, OnnxDetections actual)
    {
        var matches = new int[want.Scores.Length];
        Assert.Equal(want.Scores.Length, actual.Scores.Length);
        Assert.Equal(actual.Scores.OrderByDescending(s => s).ToArray(), actual.Scores);
        var left = Enumerable.Range(0, actual.Scores.Length).ToList();
        for (int i = 0; i < want.Scores.Length; i++)
        {
            int match = left.Where(j => actual.Classes[j] == want.Classes[i]).DefaultIfEmpty(-1).MinBy(j => j < 0 ? double.MaxValue : want.Distance(i, actual, j));
            Assert.True(match >= 0 && want.Distance(i, actual, match) <= 1e-3, $"no ONNX detection of class {want.Classes[i]} within 1e-3 of box {i}");
            Assert.True(Math.Abs(want.Scores[i] - actual.Scores[match]) <= 1e-4, $"score {want.Scores[i]} vs {actual.Scores[match]}");
            left.Remove(match);
            matches[i] = match;
        }

        return matches;
    }

    /// <summary>The graphs pass onnx.checker with full shape inference (Debian's python3-onnx).</summary>
    public static void AssertChecked(params byte[][] models)
    {
        var missing = OnnxChecker.Unavailable();
        Assert.True(missing is null, missing);
        string dir = TempFolders.Create("onnx-check");
        var files = models.Select((m, i) => Path.Combine(dir, $"model{i}.onnx")).ToArray();
        for (int i = 0; i < models.Length; i++)
        {
            File.WriteAllBytes(files[i], models[i]);
        }

        var (code, output) = OnnxChecker.Check(files);
        Assert.True(code == 0 && files.All(f => output.Contains("checked " + f, StringComparison.Ordinal)), $"onnx.checker failed:\n{output}");
    }

    private double Distance(int i, OnnxDetections other, int j) =>
        Enumerable.Range(0, 4).Max(c => Math.Abs(Boxes[(4 * i) + c] - other.Boxes[(4 * j) + c]));
}
