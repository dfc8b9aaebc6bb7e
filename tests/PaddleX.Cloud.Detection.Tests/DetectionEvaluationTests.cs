using PaddleX.Cloud.Vision.Detection.Metrics;
using static PaddleX.Cloud.Detection.Tests.CocoFixtures;

namespace PaddleX.Cloud.Detection.Tests;

/// <summary>The offline detection and instance-segmentation reports computed from an evaluation file.</summary>
public sealed class DetectionEvaluationTests
{
    /// <summary>Classes a and b; a difficult a-box; one b detection below the score threshold.</summary>
    internal static DetectionEvalDetails HandMade() => new(
        new CocoDataset
        {
            Images = [new CocoImage { Id = 1, FileName = "1.jpg", Width = 100, Height = 100 }],
            Categories = [new CocoCategory { Id = 1, Name = "a" }, new CocoCategory { Id = 2, Name = "b" }],
            Annotations =
            [
                new CocoAnnotation { Id = 1, ImageId = 1, CategoryId = 1, Bbox = [0, 0, 10, 10], Area = 100 },
                new CocoAnnotation { Id = 2, ImageId = 1, CategoryId = 2, Bbox = [20, 20, 10, 10], Area = 100 },
                new CocoAnnotation { Id = 3, ImageId = 1, CategoryId = 1, Bbox = [50, 50, 10, 10], Area = 100, Difficult = 1 },
            ],
        },
        [
            new CocoResult { ImageId = 1, CategoryId = 1, Bbox = [0, 0, 10, 10], Score = 0.9 },
            new CocoResult { ImageId = 1, CategoryId = 2, Bbox = [0, 0, 10, 10], Score = 0.8 }, // b on an a
            new CocoResult { ImageId = 1, CategoryId = 1, Bbox = [80, 80, 10, 10], Score = 0.4 }, // on nothing
            new CocoResult { ImageId = 1, CategoryId = 2, Bbox = [20, 20, 10, 10], Score = 0.2 }, // below 0.3
            new CocoResult { ImageId = 1, CategoryId = 1, Bbox = [50, 50, 10, 10], Score = 0.6 }, // on the difficult box
        ],
        null);

    [Fact]
    public void Detection_report_counts_confusions_precision_recall_and_voc_ap()
    {
        var part = DetectionEvaluation.Detection(HandMade(), scoreThreshold: 0.3, overlapThreshold: 0.5);

        // Rows true a, b, background; columns detected a, b, background.
        Assert.Equal(new long[,] { { 2, 1, 0 }, { 0, 0, 1 }, { 1, 0, 0 } }, part.Confusion);
        // a: 3 detections above 0.3, one true positive (the difficult box is never taken), 2 ground-truth boxes.
        Assert.Equal(new ClassPrecisionRecall(1.0 / 3, 0.5, 1.0), part.Classes[0]);
        // b: its only detection above 0.3 lies on an a; VOC AP uses every detection: FP at 0.8, TP at 0.2.
        Assert.Equal(new ClassPrecisionRecall(0, 0, 0.5), part.Classes[1]);
        Assert.Equal(0.75, part.Map!.Value, 12);

        var strict = DetectionEvaluation.Detection(HandMade(), scoreThreshold: 0.95, overlapThreshold: 0.5);
        Assert.Equal(new long[,] { { 0, 0, 2 }, { 0, 0, 1 }, { 0, 0, 0 } }, strict.Confusion);
        Assert.Equal(-1, strict.Classes[0].Precision);
        Assert.Equal(0.75, strict.Map!.Value, 12);
    }

    [Fact]
    public void Instance_segmentation_maps_equal_pycocotools_at_the_overlap_threshold()
    {
        var gt = CocoDataset.Parse(Eval.GetProperty("gt").GetRawText());
        var details = new DetectionEvalDetails(gt, CocoResult.ParseList(Eval.GetProperty("bbox_results").GetRawText()), CocoResult.ParseList(Eval.GetProperty("segm_results").GetRawText()));
        var path = Path.Combine(Path.GetTempPath(), $"eval_details_{Guid.NewGuid():N}.json");
        try
        {
            details.Save(path);
            Assert.True(DetectionEvalDetails.IsDetectionDetails(path));
            details = DetectionEvalDetails.Load(path);
        }
        finally
        {
            File.Delete(path);
        }

        var single = Eval.GetProperty("single_threshold");
        for (var i = 0; i < single.GetProperty("bbox").GetArrayLength(); i++)
        {
            var box = single.GetProperty("bbox")[i];
            var mask = single.GetProperty("segm")[i];
            var overlap = box.GetProperty("overlap").GetDouble();
            var (boxes, masks) = DetectionEvaluation.InstanceSegmentation(details, 0.5, overlap);
            Close(box.GetProperty("map").GetDouble(), boxes.Map!.Value, $"BBox_mAP@{overlap}");
            Close(mask.GetProperty("map").GetDouble(), masks.Map!.Value, $"Mask_mAP@{overlap}");
            for (var k = 0; k < gt.Categories.Count; k++)
            {
                Close(box.GetProperty("class_ap")[k].GetDouble(), boxes.Classes[k].Ap!.Value, $"BBox AP[{k}]@{overlap}");
                Close(mask.GetProperty("class_ap")[k].GetDouble(), masks.Classes[k].Ap!.Value, $"Mask AP[{k}]@{overlap}");
            }

            var c = gt.Categories.Count;
            Assert.Equal((c + 1) * (c + 1), masks.Confusion.Length);
            Assert.Equal(0, masks.Confusion[c, c]);
            // Every kept detection lands in exactly one cell of its column.
            var keptMasks = details.Masks!.Count(m => m.Score >= 0.5);
            long detected = 0;
            for (var row = 0; row <= c; row++)
            {
                for (var col = 0; col < c; col++)
                {
                    detected += masks.Confusion[row, col];
                }
            }

            Assert.Equal(keptMasks, detected);
        }
    }

    [Fact]
    public void Instance_segmentation_mask_matching_uses_mask_overlap()
    {
        // One 20×20 square object; the box detection is exact, the mask detection covers only its left half.
        var gt = new CocoDataset
        {
            Images = [new CocoImage { Id = 3, FileName = "3.jpg", Width = 40, Height = 30 }],
            Categories = [new CocoCategory { Id = 4, Name = "square" }],
            Annotations = [new CocoAnnotation { Id = 9, ImageId = 3, CategoryId = 4, Bbox = [10, 5, 20, 20], Area = 400, Segmentation = CocoSegmentation.FromPolygons([[10, 5, 30, 5, 30, 25, 10, 25]]) }],
        };
        var half = new byte[30 * 40];
        for (var x = 10; x < 20; x++)
        {
            for (var y = 5; y < 25; y++)
            {
                half[(x * 30) + y] = 1;
            }
        }

        var details = new DetectionEvalDetails(
            gt,
            [new CocoResult { ImageId = 3, CategoryId = 4, Bbox = [10, 5, 20, 20], Score = 0.9 }],
            [new CocoResult { ImageId = 3, CategoryId = 4, Score = 0.9, Segmentation = CocoSegmentation.FromRle(CocoMask.Encode(half, 30, 40)) }]);

        var (boxes, masks) = DetectionEvaluation.InstanceSegmentation(details, 0.5, 0.6);
        Assert.Equal(new long[,] { { 1, 0 }, { 0, 0 } }, boxes.Confusion);
        Assert.Equal(new long[,] { { 0, 1 }, { 1, 0 } }, masks.Confusion);
        Assert.Equal(1.0, boxes.Map!.Value, 12);
        Assert.Equal(0.0, masks.Map!.Value, 12);
        Assert.Equal(new ClassPrecisionRecall(0, 0, 0), masks.Classes[0]);
    }

    [Fact]
    public void Results_for_unknown_categories_or_images_are_invalid_data()
    {
        var details = HandMade();
        var unknownCategory = details with { Boxes = [.. details.Boxes, new CocoResult { ImageId = 1, CategoryId = 99, Bbox = [0, 0, 1, 1], Score = 1 }] };
        Assert.Throws<InvalidDataException>(() => DetectionEvaluation.Detection(unknownCategory, 0.3, 0.5));
        var unknownImage = details with { Masks = [new CocoResult { ImageId = 42, CategoryId = 1, Score = 1, Segmentation = new CocoSegmentation { Size = [2, 2], Counts = "04" } }] };
        Assert.Throws<InvalidDataException>(() => DetectionEvaluation.InstanceSegmentation(unknownImage, 0.3, 0.5));
    }
}
