using System.Diagnostics;
using System.Globalization;
using PaddleX.Cloud.Datasets;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Datasets.Import;
using PaddleX.Cloud.Vision.Detection.Metrics;
using PaddleX.Cloud.Vision.Training;

/// <summary>
/// <c>mrcnn-learn --side 64 --channels 64 --rois 32 --epochs 8 --count 80 --batch 4 --lr 0.005 --threads 2</c>:
/// Mask R-CNN ResNet50-FPN from scratch through the instance-segmentation trainer on generated shapes with polygon
/// outlines (imported and split 80/20 like a user's dataset), evaluated once at the end; <c>--channels</c> sets
/// <c>rcnn_fpn_channels</c> and <c>rcnn_mask_channels</c>, <c>--rois</c> <c>rcnn_rois_per_image</c> (256 and 512 are
/// PaddleX's network). Prints "RESULT mrcnn-learn &lt;side&gt; &lt;channels&gt; &lt;rois&gt; &lt;epochs&gt;
/// &lt;outcome&gt; &lt;box mAP@0.5&gt; &lt;mask mAP@0.5&gt; &lt;wall s&gt; &lt;CPU s&gt;" (COCOeval at IoU 0.5 of the validation pictures).
/// </summary>
internal static class MaskRcnnLearnBench
{
    public static void Run(Options o)
    {
        int side = o.Int("side", 64), channels = o.Int("channels", 64), rois = o.Int("rois", 32), epochs = o.Int("epochs", 8);
        int count = o.Int("count", 80), batch = o.Int("batch", 4), threads = o.Int("threads", 2);
        double lr = double.Parse(o.Get("lr", "0.005"), CultureInfo.InvariantCulture);
        string root = Path.Combine(Path.GetTempPath(), "pdx-bench-mrcnn-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            string data = Prepare(root, side, count);
            var p = new TrainParams
            {
                Model = "MaskRCNN", Backbone = "ResNet50", PretrainWeights = null, ImageShape = [side, side], BatchSize = batch,
                NumEpochs = epochs, LearningRate = lr, LrDecayEpochs = [epochs * 3 / 4], WarmupSteps = 20, SaveIntervalEpochs = epochs,
                UseMixup = false, ExpandImage = false, CropImage = false, RandomShape = false, TorchThreads = threads, Seed = 3,
                LogIntervalSteps = 10, RcnnRoisPerImage = rois, RcnnFpnChannels = channels, RcnnMaskChannels = channels,
            };
            string output = Path.Combine(root, "output");
            TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            TrainingResult result = Trainers.For("instance_segmentation").Run(new TrainingRequest { Params = p, DatasetDir = data, OutputDir = output, Log = Console.Out });
            double wallS = wall.Elapsed.TotalSeconds, cpuS = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var details = DetectionEvalDetails.Load(Path.Combine(output, "best_model", Checkpoints.EvalDetailsFile));
            double boxes = CocoSingleThreshold.Evaluate(details.GroundTruth, details.Boxes, CocoIouType.Bbox, 0.5).Map ?? 0;
            double masks = details.Masks is { } m ? CocoSingleThreshold.Evaluate(details.GroundTruth, m, CocoIouType.Segm, 0.5).Map ?? 0 : 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT mrcnn-learn {side} {channels} {rois} {epochs} {result.Outcome} {boxes:F3} {masks:F3} {wallS:F0} {cpuS:F0}"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string Prepare(string root, int side, int count)
    {
        string source = ShapeDetectionGenerator.Write(Path.Combine(root, "source"),
            new ShapeDetectionOptions { Count = count, MinSide = side, MaxSide = side, MaxObjects = 2, Coco = true, Polygons = true, Seed = 21 });
        string dataset = Path.Combine(root, "dataset");
        const string type = "instance_segmentation";
        var imported = DatasetImporter.RunAsync(new DatasetImporter.Request(type, source, "shapes", dataset), new ImportProgress(), CancellationToken.None).GetAwaiter().GetResult();
        DatasetSplitter.Split(imported.Details, type, 0.2, 0.0, 1);
        SplitWriter.Write(type, imported.Details, dataset);
        SplitWriter.WriteDetails(imported.Details, dataset);
        return dataset;
    }
}
