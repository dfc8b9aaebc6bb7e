using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Training;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests;

public class DetectionLoaderTests
{
    private static readonly Lazy<string> Voc = new(() => DetectionShapes.Prepare(new ShapeDetectionOptions { Count = 24, MinSide = 64, MaxSide = 112, Seed = 9, Png = true }).Dataset);

    private static TrainParams Yolo(int size = 64) => new()
    {
        Model = "YOLOv3",
        ImageShape = [size, size],
        NumEpochs = 27,
        RandomShape = false,
    };

    [Fact]
    public void Rcnn_batches_pad_every_picture_to_a_multiple_of_32_and_keep_sizes_and_scales()
    {
        var p = new TrainParams { Model = "FasterRCNN", ImageShape = [80, 120], WithFpn = true };
        var loader = new DetectionLoader(DetectionDataset.Load(Voc.Value, "train"), DetectionPipeline.ForEvaluation(p), 3, shuffle: false, dropLast: false, seed: 1);
        DetectionBatch batch = loader.Epoch(1).First();
        Assert.Equal(3, batch.Count);
        Assert.Equal(0, batch.Height % 32);
        Assert.Equal(0, batch.Width % 32);
        Assert.Equal(3 * 3 * batch.Height * batch.Width, batch.Images.Length);
        for (int b = 0; b < 3; b++)
        {
            DetectionAnnotations a = batch.Items[b];
            DetectionSample s = loader.Dataset.Samples[b];
            Assert.Equal(80, Math.Min(a.InputWidth, a.InputHeight));
            Assert.True(Math.Max(a.InputWidth, a.InputHeight) <= 120);
            Assert.Equal((s.Width, s.Height, s.ImageId), (a.OriginalWidth, a.OriginalHeight, a.ImageId));
            Assert.Equal(a.InputWidth / (float)s.Width, a.ScaleX, 3);
            Assert.Equal(s.Objects[0].X1 * a.ScaleX, a.Boxes[0], 3);

            // Padding is zero, the picture is not.
            int plane = batch.Height * batch.Width, offset = b * 3 * plane;
            Assert.All(Enumerable.Range(a.InputWidth, batch.Width - a.InputWidth), x => Assert.Equal(0, batch.Images[offset + x]));
            Assert.Contains(Enumerable.Range(0, a.InputWidth), x => batch.Images[offset + x] != 0);
        }

        IReadOnlyList<Vision.Detection.Models.DetectionTarget> targets = batch.ToTargets(CPU);
        try
        {
            Assert.Equal(batch.Items[1].Count, targets[1].Boxes.shape[0]);
            Assert.Equal([batch.Items[1].Count, 4], targets[1].Boxes.shape);
            Assert.Equal(ScalarType.Int64, targets[1].Labels.dtype);
            Assert.Equal(batch.Items[1].Labels.Select(l => (long)l), targets[1].Labels.data<long>().ToArray());
            Assert.Equal(Enumerable.Repeat(1f, batch.Items[1].Count), targets[1].Weights!.data<float>().ToArray());
            using Tensor images = batch.ImagesTensor(CPU);
            Assert.Equal([3, 3, batch.Height, batch.Width], images.shape);
        }
        finally
        {
            foreach (var t in targets)
            {
                t.Boxes.Dispose();
                t.Labels.Dispose();
                t.Weights?.Dispose();
            }
        }
    }

    [Fact]
    public void Stored_detection_params_switch_the_pipeline_steps()
    {
        // As the API stores them for a detection task (snake_case names of the original Params).
        TrainParams p = TrainParams.FromJson("""
            {"model": "YOLOv3", "image_shape": [320, 320], "num_epochs": 270, "use_mixup": true, "mixup_alpha": 2.0,
             "mixup_beta": 1.0, "expand_prob": 0.3, "expand_image": true, "crop_image": false, "random_shape": true,
             "random_shape_sizes": [320, 352], "with_fpn": false, "horizontal_flip": true, "horizontal_flip_prob": 0.4,
             "brightness": true, "brightness_prob": 0.5, "contrast": false, "saturation": false, "hue": false,
             "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}
            """);
        DetectionPipeline yolo = DetectionPipeline.ForTraining(p);
        Assert.Equal((DetectionPipelineKind.Yolo, true, 250, 2.0, 1.0), (yolo.Kind, yolo.Mixup, yolo.MixupEpochs, yolo.MixupAlpha, yolo.MixupBeta));
        Assert.Equal((0.3, false, 0.4, 0), (yolo.ExpandProb, yolo.Crop, yolo.FlipProb, yolo.PadStride));
        Assert.Equal([320, 352], yolo.RandomSizes);
        Assert.Equal((0.5, 0.0, 0.0, 0.0), (yolo.Distort!.BrightnessProb, yolo.Distort.ContrastProb, yolo.Distort.SaturationProb, yolo.Distort.HueProb));
        DetectionPipeline off = DetectionPipeline.ForTraining(p with { UseMixup = false, ExpandImage = false, RandomShape = false, HorizontalFlip = false, Brightness = false });
        Assert.Equal((false, 0.0, null, 0.0, null), (off.Mixup, off.ExpandProb, off.RandomSizes, off.FlipProb, off.Distort));
        Assert.Null(off.BatchSide(1, 1, 0));
        Assert.Null(DetectionPipeline.ForEvaluation(p).BatchSide(1, 1, 0));

        DetectionPipeline rcnn = DetectionPipeline.ForTraining(p with { Model = "FasterRCNN", WithFpn = true });
        Assert.Equal((DetectionPipelineKind.Rcnn, false, 0.0, false, null, 32), (rcnn.Kind, rcnn.Mixup, rcnn.ExpandProb, rcnn.Crop, rcnn.RandomSizes, rcnn.PadStride));
        Assert.Equal(0, DetectionPipeline.ForEvaluation(p with { Model = "FasterRCNN", WithFpn = false }).PadStride);
        Assert.Throws<ArgumentException>(() => DetectionPipeline.ForEvaluation(p with { ImageShape = [16, 16] }));
    }

    [Fact]
    public void Prediction_batches_resize_pictures_without_annotations_and_record_their_scale()
    {
        var p = new TrainParams { Model = "YOLOv3", ImageShape = [96, 96] };
        DetectionBatch batch = DetectionPipeline.ForEvaluation(p).Batch([PlanarImage.Filled(120, 60, [10, 20, 30]), PlanarImage.Filled(48, 48, [200, 200, 200])]);
        Assert.Equal((2, 96, 96), (batch.Count, batch.Height, batch.Width));
        Assert.Equal((0.8f, 1.6f), (batch.Items[0].ScaleX, batch.Items[0].ScaleY));
        Assert.Equal((120, 60, 0), (batch.Items[0].OriginalWidth, batch.Items[0].OriginalHeight, batch.Items[0].Count));
        Assert.Equal((200 / 255f - 0.485f) / 0.229f, batch.Images[3 * 96 * 96], 4);
    }

    [Fact]
    public void Outlines_become_instance_masks_inside_their_boxes()
    {
        var (_, dir) = DetectionShapes.Prepare(new ShapeDetectionOptions { Count = 10, MinSide = 64, MaxSide = 96, Coco = true, Polygons = true, Seed = 2 }, type: "instance_segmentation");
        var p = new TrainParams { Model = "MaskRCNN", ImageShape = [96, 160], WithFpn = true };
        var loader = new DetectionLoader(DetectionDataset.Load(dir, "train"), DetectionPipeline.ForTraining(p), 2, shuffle: true, dropLast: true, seed: 3);
        DetectionBatch batch = loader.Epoch(1).First();
        IReadOnlyList<Vision.Detection.Models.DetectionTarget> targets = batch.ToTargets(CPU, masks: true);
        for (int b = 0; b < batch.Count; b++)
        {
            using Tensor masks = targets[b].Masks!;
            Assert.Equal([batch.Items[b].Count, batch.Height, batch.Width], masks.shape);
            byte[] bytes = masks.data<byte>().ToArray();
            for (int i = 0; i < batch.Items[b].Count; i++)
            {
                float[] box = batch.Items[b].Boxes[(4 * i)..((4 * i) + 4)];
                int inside = 0, outside = 0;
                for (int y = 0; y < batch.Height; y++)
                {
                    for (int x = 0; x < batch.Width; x++)
                    {
                        if (bytes[(i * batch.Height * batch.Width) + (y * batch.Width) + x] == 1)
                        {
                            bool within = x + 0.5 >= box[0] - 1 && x + 0.5 <= box[2] + 1 && y + 0.5 >= box[1] - 1 && y + 0.5 <= box[3] + 1;
                            (inside, outside) = within ? (inside + 1, outside) : (inside, outside + 1);
                        }
                    }
                }

                Assert.Equal(0, outside);
                Assert.True(inside > 0.4 * (box[2] - box[0]) * (box[3] - box[1]), $"mask {i} covers {inside} pixels of its box");
            }

            targets[b].Boxes.Dispose();
            targets[b].Labels.Dispose();
            targets[b].Weights?.Dispose();
        }
    }

    [Fact]
    public void Random_shape_draws_each_batch_size_from_the_list_and_varies_it()
    {
        var p = Yolo() with { RandomShape = true, RandomShapeSizes = [64, 96, 128], UseMixup = false, ExpandImage = false, CropImage = false };
        var loader = new DetectionLoader(DetectionDataset.Load(Voc.Value, "train"), DetectionPipeline.ForTraining(p), 2, shuffle: true, dropLast: true, seed: 4);
        var sides = new List<int>();
        foreach (int epoch in new[] { 1, 2 })
        {
            foreach (DetectionBatch batch in loader.Epoch(epoch))
            {
                Assert.Equal(batch.Height, batch.Width);
                Assert.All(batch.Items, a => Assert.Equal((batch.Width, batch.Height), (a.InputWidth, a.InputHeight)));
                sides.Add(batch.Width);
            }
        }

        Assert.Equal(2 * loader.BatchesPerEpoch, sides.Count);
        Assert.All(sides, s => Assert.Contains(s, new[] { 64, 96, 128 }));
        Assert.Equal(3, sides.Distinct().Count());
        Assert.Equal(loader.Pipeline.BatchSide(4, 2, 3), sides[loader.BatchesPerEpoch + 3]);
    }

    [Fact]
    public void Batches_are_deterministic_per_seed_whatever_the_parallelism()
    {
        var p = Yolo();
        var dataset = DetectionDataset.Load(Voc.Value, "train");
        var loader = new DetectionLoader(dataset, DetectionPipeline.ForTraining(p), 4, shuffle: true, dropLast: true, seed: 7, decodeWorkers: 2);
        var serial = new DetectionLoader(dataset, DetectionPipeline.ForTraining(p), 4, shuffle: true, dropLast: true, seed: 7, decodeWorkers: 1);
        var other = new DetectionLoader(dataset, DetectionPipeline.ForTraining(p), 4, shuffle: true, dropLast: true, seed: 8);
        DetectionBatch a = loader.Epoch(2).Skip(1).First();
        DetectionBatch b = serial.BuildBatch(2, 1, serial.EpochOrder(2));
        Assert.Equal(a.Images, b.Images);
        Assert.Equal(a.Items.SelectMany(i => i.Boxes), b.Items.SelectMany(i => i.Boxes));
        Assert.Equal(a.Items.SelectMany(i => i.Weights), b.Items.SelectMany(i => i.Weights));
        Assert.NotEqual(a.Images, other.BuildBatch(2, 1, other.EpochOrder(2)).Images);
        Assert.NotEqual(a.Images, loader.BuildBatch(3, 1, loader.EpochOrder(3)).Images);
    }

    [Fact]
    public void Mixup_runs_until_25_27_of_the_epochs()
    {
        var p = Yolo() with { UseMixup = true, ExpandImage = false, CropImage = false, Brightness = false, Contrast = false, Saturation = false, Hue = false };
        var pipeline = DetectionPipeline.ForTraining(p);
        Assert.Equal(25, pipeline.MixupEpochs);
        var loader = new DetectionLoader(DetectionDataset.Load(Voc.Value, "train"), pipeline, 4, shuffle: true, dropLast: true, seed: 2);
        var early = loader.Epoch(25).SelectMany(b => b.Items).ToList();
        var late = loader.Epoch(26).SelectMany(b => b.Items).ToList();
        Assert.Contains(early, a => a.Weights.Any(w => w < 1));
        Assert.All(early.Where(a => a.Weights.Any(w => w < 1)), a => Assert.InRange(a.Weights.Distinct().Count(), 1, 2));
        Assert.All(late, a => Assert.All(a.Weights, w => Assert.Equal(1f, w)));
        Assert.False(DetectionPipeline.ForTraining(p with { UseMixup = false }).Mixup);
    }

    [Fact]
    public void Full_yolo_training_pipeline_keeps_boxes_on_the_objects()
    {
        // Colour distortion off so colours can be checked; mixup off (it blends colours by design, tested alone).
        var p = Yolo(96) with { UseMixup = false, ExpandImage = true, ExpandProb = 1, CropImage = true, HorizontalFlipProb = 0.5, Brightness = false, Contrast = false, Saturation = false, Hue = false, ImageMean = [0, 0, 0], ImageStd = [1 / 255.0, 1 / 255.0, 1 / 255.0] };
        DetectionPipeline pipeline = DetectionPipeline.ForTraining(p);
        for (int seed = 0; seed < 12; seed++)
        {
            DetectionItem item = DetectionAugmentTests.Solid(120, 90, (10, 10, 50, 40, 0), (70, 30, 110, 80, 1));
            item = pipeline.Apply(item, new Random(seed));
            Assert.Equal((96, 96), (item.Image.Width, item.Image.Height));
            var big = Enumerable.Range(0, item.Count).Where(i => item.Boxes[(4 * i) + 2] - item.Boxes[4 * i] > 8 && item.Boxes[(4 * i) + 3] - item.Boxes[(4 * i) + 1] > 8).ToList();
            var probe = new DetectionItem(item.Image, big.SelectMany(i => item.Boxes[(4 * i)..((4 * i) + 4)]).ToArray(), big.Select(i => item.Labels[i]).ToArray(), polygons: big.Select(i => item.Polygons![i]).ToArray());
            DetectionAugmentTests.AssertBoxesOnObjects(probe, margin: 2, tolerance: 40);
        }
    }
}
