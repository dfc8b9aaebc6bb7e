using System.Text.Json;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Datasets.Formats;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Metrics;
using PaddleX.Cloud.Vision.Training;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests;

/// <summary>Non-crowd objects annotated with RLE (not polygons) train with their own mask: it moves with the pixels
/// of the picture through the transforms and reaches <see cref="DetectionTarget.Masks"/>.</summary>
public class RleTrainingMaskTests
{
    [Fact]
    public void An_rle_object_yields_its_decoded_mask_as_the_training_target_after_expand_flip_and_resize()
    {
        // A COCO instance-segmentation source whose first object of every picture is written as a compressed RLE.
        string source = ShapeDetectionGenerator.Write(
            Path.Combine(TempFolders.Create("pdx-det-rle"), "source"),
            new ShapeDetectionOptions { Count = 6, MinSide = 40, MaxSide = 48, MaxObjects = 2, Coco = true, Polygons = true, Seed = 3 });
        string annotationsFile = Path.Combine(source, CocoFormat.AnnotationsFile);
        var json = JsonNode.Parse(File.ReadAllText(annotationsFile))!.AsObject();
        var images = json["images"]!.AsArray().ToDictionary(i => (long)i!["id"]!, i => ((int)i!["height"]!, (int)i["width"]!));
        foreach (var group in json["annotations"]!.AsArray().GroupBy(a => (long)a!["image_id"]!))
        {
            JsonNode first = group.First()!;
            var (h, w) = images[group.Key];
            var polygons = first["segmentation"]!.Deserialize<CocoSegmentation>(CocoJson.Options)!;
            first["segmentation"] = JsonSerializer.SerializeToNode(CocoSegmentation.FromRle(polygons.ToRle(h, w)), CocoJson.Options);
        }

        File.WriteAllText(annotationsFile, json.ToJsonString());
        var (_, dir) = DetectionShapes.Prepare(source, "instance_segmentation", valSplit: 0.5, testSplit: 0);
        DetectionSample sample = DetectionDataset.Load(dir, "val").Samples.First(s => s.Objects.Count == 2);
        Assert.NotNull(sample.Objects[0].Rle);
        Assert.Null(sample.Objects[0].Polygons);
        Assert.NotNull(sample.Objects[1].Polygons);
        PictureMask truth = PictureMask.Of(sample.Objects[0], sample.Width, sample.Height)!;
        Assert.True(truth.Area > 20, $"the RLE object covers only {truth.Area} pixels");

        DetectionItem item = DetectionItem.From(sample, PlanarImage.Load(sample.ImagePath));
        int w0 = sample.Width, h0 = sample.Height;
        DetectionAugment.PlaceOnCanvas(item, w0 + 7, h0 + 5, 7, 5, [0, 0, 0]);
        DetectionAugment.FlipHorizontal(item);
        DetectionAugment.Resize(item, 2 * (w0 + 7), 2 * (h0 + 5), Interpolation.Linear);
        DetectionBatch batch = DetectionBatch.Collate(0, [item], padStride: 32);

        // Expected, built independently: shifted by (7, 5), mirrored, every pixel doubled, at the padded batch's corner.
        int w1 = w0 + 7, h1 = h0 + 5;
        var expected = new byte[batch.Height * batch.Width];
        for (int y = 0; y < 2 * h1; y++)
        {
            for (int x = 0; x < 2 * w1; x++)
            {
                int sx = w1 - 1 - (x / 2) - 7, sy = (y / 2) - 5;
                expected[(y * batch.Width) + x] = sx >= 0 && sy >= 0 ? truth.Pixels[(sy * w0) + sx] : (byte)0;
            }
        }

        var target = batch.ToTargets(CPU, masks: true).Single();
        using Tensor masks = target.Masks!;
        Assert.Equal([2L, batch.Height, batch.Width], masks.shape);
        Assert.Equal(expected, masks[0].contiguous().data<byte>().ToArray());
        Assert.True(masks[1].sum().item<long>() > 0, "the polygon object lost its mask");
    }

    [Fact]
    public void A_crop_cuts_an_rle_mask_to_its_window_and_mixup_pads_it_to_the_canvas()
    {
        var mask = new PictureMask(6, 4, [.. Enumerable.Range(0, 24).Select(i => (byte)(i % 5 == 0 ? 1 : 0))]);
        var item = new DetectionItem(PlanarImage.Filled(6, 4, [9, 9, 9]), [0, 0, 6, 4], [0], masks: [mask]);
        var other = new DetectionItem(PlanarImage.Filled(8, 3, [1, 1, 1]), [1, 1, 3, 2], [1], polygons: [[[1f, 1, 3, 1, 3, 2, 1, 2]]]);
        DetectionItem mixed = DetectionAugment.Mixup(item, other, 0.5f);
        Assert.Equal((8, 4), (mixed.Masks![0]!.Width, mixed.Masks[0]!.Height));
        Assert.Null(mixed.Masks[1]);
        Assert.Equal(mask.Pixels.Chunk(6).Select(r => r.Concat(new byte[2])).SelectMany(r => r), mixed.Masks[0]!.Pixels);
        Assert.NotNull(mixed.Polygons![1]);

        var big = new PictureMask(40, 30, [.. Enumerable.Range(0, 1200).Select(i => (byte)((i / 40) + (i % 40) < 45 ? 1 : 0))]);
        for (int seed = 0; ; seed++)
        {
            var cropped = new DetectionItem(PlanarImage.Filled(40, 30, [9, 9, 9]), [0, 0, 40, 30], [0], masks: [big]);
            if (DetectionAugment.Crop(cropped, new Random(seed), new CropOptions { Thresholds = [0], MinScale = 0.6, MaxScale = 0.8 }) is not { } c)
            {
                continue;
            }

            PictureMask m = cropped.Masks![0]!;
            Assert.Equal((c.X2 - c.X1, c.Y2 - c.Y1), (m.Width, m.Height));
            var window = Enumerable.Range(c.Y1, c.Y2 - c.Y1).SelectMany(y => big.Pixels.Skip((y * 40) + c.X1).Take(c.X2 - c.X1));
            Assert.Equal(window, m.Pixels);
            break;
        }
    }
}
