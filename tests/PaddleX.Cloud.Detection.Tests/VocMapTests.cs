using PaddleX.Cloud.Vision.Detection.Metrics;

namespace PaddleX.Cloud.Detection.Tests;

/// <summary>VOC mAP as PaddleX logs <c>bbox_map</c>, on cases small enough to work out by hand.</summary>
public sealed class VocMapTests
{
    private static PixelBox Box(double x, double y, double w, double h) => PixelBox.FromCoco([x, y, w, h]);

    [Fact]
    public void Pixel_boxes_follow_paddlex_inclusive_corners()
    {
        Assert.Equal(new PixelBox(0, 0, 9, 9), Box(0, 0, 10, 10));
        Assert.Equal(100, Box(0, 0, 10, 10).Area);
        Assert.Equal(1.0 / 3, PixelBox.Iou(Box(0, 0, 10, 10), Box(5, 0, 10, 10)), 12);
        // Corners that share a pixel column still count as disjoint.
        Assert.Equal(0, PixelBox.Iou(new PixelBox(0, 0, 9, 9), new PixelBox(9, 0, 18, 9)));
    }

    [Theory]
    [InlineData(VocMapType.ElevenPoint)]
    [InlineData(VocMapType.Integral)]
    public void Duplicates_and_weak_overlaps_are_false_positives(VocMapType type)
    {
        var map = new VocMap(1, 0.5, type);
        map.Update(
            [
                new VocDetection(0, 0.9, Box(0, 0, 10, 10)),
                new VocDetection(0, 0.8, Box(0, 0, 10, 10)), // duplicate of a matched box
                new VocDetection(0, 0.7, Box(25, 20, 10, 10)), // IoU 1/3
                new VocDetection(0, 0.6, Box(40, 40, 10, 10)),
            ],
            [new VocGroundTruth(0, Box(0, 0, 10, 10)), new VocGroundTruth(0, Box(20, 20, 10, 10)), new VocGroundTruth(0, Box(40, 40, 10, 10))]);

        // Precision 1, 1/2, 1/3, 1/2 at recall 1/3, 1/3, 1/3, 2/3: the 11-point AP is (4·1 + 3·0.5) / 11 = 0.5 and
        // the integral 1/3·1 + 1/3·0.5 = 0.5.
        var result = map.Accumulate();
        Assert.Equal(0.5, result.Map, 12);
        Assert.Equal(0.5, result.ClassAps[0]!.Value, 12);
    }

    [Fact]
    public void Eleven_point_interpolation_takes_the_best_precision_to_the_right()
    {
        var map = new VocMap(1);
        map.Update(
            [new VocDetection(0, 0.9, Box(60, 60, 10, 10)), new VocDetection(0, 0.8, Box(0, 0, 10, 10)), new VocDetection(0, 0.7, Box(20, 20, 10, 10))],
            [new VocGroundTruth(0, Box(0, 0, 10, 10)), new VocGroundTruth(0, Box(20, 20, 10, 10))]);

        // FP, TP, TP: precision 0, 1/2, 2/3 at recall 0, 1/2, 1 → every recall point gets 2/3.
        Assert.Equal(2.0 / 3, map.Accumulate().Map, 12);
    }

    [Fact]
    public void Difficult_boxes_are_ignored_and_classes_without_detections_count_as_zero()
    {
        var map = new VocMap(3);
        map.Update(
            [
                new VocDetection(0, 0.9, Box(50, 50, 10, 10)), // on the difficult box: neither TP nor FP
                new VocDetection(0, 0.8, Box(0, 0, 10, 10)),
                new VocDetection(0, 0.3, Box(80, 80, 10, 10)),
                new VocDetection(2, 0.5, Box(30, 30, 10, 10)), // class 2 has no ground truth: not in the mean
            ],
            [new VocGroundTruth(0, Box(0, 0, 10, 10)), new VocGroundTruth(0, Box(50, 50, 10, 10), Difficult: true), new VocGroundTruth(1, Box(20, 20, 10, 10))]);

        var result = map.Accumulate();
        Assert.Equal(1.0, result.ClassAps[0]!.Value, 12);
        Assert.Null(result.ClassAps[1]);
        Assert.Null(result.ClassAps[2]);
        Assert.Equal(0.5, result.Map, 12);

        // Counted as ground truth, the difficult box turns the first detection into a true positive.
        var withDifficult = new VocMap(3, evaluateDifficult: true);
        withDifficult.Update([new VocDetection(0, 0.9, Box(50, 50, 10, 10))], [new VocGroundTruth(0, Box(0, 0, 10, 10)), new VocGroundTruth(0, Box(50, 50, 10, 10), Difficult: true)]);
        Assert.Equal(6.0 / 11, withDifficult.Accumulate().ClassAps[0]!.Value, 12);
    }

    [Fact]
    public void Coco_ground_truth_is_clipped_crowds_dropped_and_categories_taken_in_file_order()
    {
        var gt = new CocoDataset
        {
            Images = [new CocoImage { Id = 7, FileName = "a.jpg", Width = 50, Height = 40 }],
            Categories = [new CocoCategory { Id = 5, Name = "x" }, new CocoCategory { Id = 2, Name = "y" }],
            Annotations =
            [
                new CocoAnnotation { Id = 1, ImageId = 7, CategoryId = 5, Bbox = [45, 30, 10, 10], Area = 50 }, // clipped to 5×10
                new CocoAnnotation { Id = 2, ImageId = 7, CategoryId = 2, Bbox = [0, 0, 20, 20], Area = 400, IsCrowd = 1 },
                new CocoAnnotation { Id = 3, ImageId = 7, CategoryId = 2, Bbox = [10, 10, 5, 5], Area = 0 },
            ],
        };
        List<CocoResult> results =
        [
            new() { ImageId = 7, CategoryId = 5, Bbox = [45, 30, 5, 10], Score = 0.9 },
            new() { ImageId = 7, CategoryId = 2, Bbox = [0, 0, 20, 20], Score = 0.8 },
        ];

        var set = DetectionSet.FromCoco(gt, results);
        Assert.Equal(["x", "y"], set.Labels);
        Assert.Equal([new VocGroundTruth(0, new PixelBox(45, 30, 49, 39))], set.Images[0].GroundTruth);
        var result = VocMap.Evaluate(gt, results);
        Assert.Equal(1.0, result.Map, 12);
        Assert.Equal([1.0, null], result.ClassAps);

        results.Add(new CocoResult { ImageId = 7, CategoryId = 9, Bbox = [0, 0, 1, 1], Score = 0.1 });
        Assert.Throws<InvalidDataException>(() => VocMap.Evaluate(gt, results));
    }
}
