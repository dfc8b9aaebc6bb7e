using System.Text.Json;
using PaddleX.Cloud.Vision.Detection.Metrics;
using static PaddleX.Cloud.Detection.Tests.CocoFixtures;

namespace PaddleX.Cloud.Detection.Tests;

/// <summary>COCOeval (bbox and segm) against pycocotools on a generated set with crowd regions, an
/// <c>ignore</c>-flagged object, small/medium/large objects, duplicates, misses, wrong classes and false alarms.</summary>
public sealed class CocoEvalTests
{
    private static CocoDataset GroundTruth() => CocoDataset.Parse(Eval.GetProperty("gt").GetRawText());

    private static List<CocoResult> Results(string name) => CocoResult.ParseList(Eval.GetProperty(name).GetRawText());

    [Theory]
    [InlineData("bbox_default", "bbox_results")]
    [InlineData("segm_default", "segm_results")]
    [InlineData("bbox_custom", "bbox_results")]
    [InlineData("segm_custom", "segm_results")]
    public void Stats_precision_and_recall_equal_pycocotools(string fixture, string results)
    {
        var expected = Eval.GetProperty(fixture);
        var type = expected.GetProperty("iou_type").GetString() == "segm" ? CocoIouType.Segm : CocoIouType.Bbox;
        var evaluator = CocoEvaluator.Run(GroundTruth(), Results(results), type, p =>
        {
            if (fixture.EndsWith("custom", StringComparison.Ordinal))
            {
                p.IouThresholds = Doubles(expected.GetProperty("iou_thrs"));
                p.RecallThresholds = Doubles(expected.GetProperty("rec_thrs"));
                p.MaxDetections = expected.GetProperty("max_dets").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            }
        });

        Assert.Equal(Doubles(expected.GetProperty("iou_thrs")), evaluator.Params.IouThresholds);
        Assert.Equal(Doubles(expected.GetProperty("rec_thrs")), evaluator.Params.RecallThresholds);
        var shape = expected.GetProperty("precision_shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.Equal(shape, Enumerable.Range(0, 5).Select(evaluator.Precision.GetLength));
        var stats = Doubles(expected.GetProperty("stats"));
        for (var i = 0; i < 12; i++)
        {
            Close(stats[i], evaluator.Stats[i], $"stats[{i}]");
        }

        var last = shape[4] - 1;
        ComparePrecision(expected.GetProperty("precision_all_last"), evaluator, area: 0, last);
        ComparePrecision(expected.GetProperty("precision_small_last"), evaluator, area: 1, last);
        var recall = expected.GetProperty("recall");
        for (var t = 0; t < shape[0]; t++)
        {
            for (var k = 0; k < shape[2]; k++)
            {
                for (var a = 0; a < shape[3]; a++)
                {
                    for (var m = 0; m < shape[4]; m++)
                    {
                        Close(recall[t][k][a][m].GetDouble(), evaluator.Recall[t, k, a, m], $"recall[{t},{k},{a},{m}]");
                    }
                }
            }
        }
    }

    private static void ComparePrecision(JsonElement expected, CocoEvaluator evaluator, int area, int maxDet)
    {
        for (var t = 0; t < expected.GetArrayLength(); t++)
        {
            for (var r = 0; r < expected[t].GetArrayLength(); r++)
            {
                for (var k = 0; k < expected[t][r].GetArrayLength(); k++)
                {
                    Close(expected[t][r][k].GetDouble(), evaluator.Precision[t, r, k, area, maxDet], $"precision[{t},{r},{k},{area},{maxDet}]");
                }
            }
        }
    }

    [Fact]
    public void Single_threshold_map_and_class_aps_equal_pycocotools()
    {
        var gt = GroundTruth();
        foreach (var (key, type, results) in new[] { ("bbox", CocoIouType.Bbox, "bbox_results"), ("segm", CocoIouType.Segm, "segm_results") })
        {
            foreach (var expected in Eval.GetProperty("single_threshold").GetProperty(key).EnumerateArray())
            {
                var overlap = expected.GetProperty("overlap").GetDouble();
                var result = CocoSingleThreshold.Evaluate(gt, Results(results), type, overlap);
                Close(expected.GetProperty("map").GetDouble(), result.Map!.Value, $"{key} mAP@{overlap}");
                var aps = expected.GetProperty("class_ap").EnumerateArray().ToList();
                Assert.Equal(aps.Count, result.ClassAps.Count);
                for (var k = 0; k < aps.Count; k++)
                {
                    Close(aps[k].GetDouble(), result.ClassAps[k]!.Value, $"{key} AP[{k}]@{overlap}");
                }
            }
        }
    }

    [Fact]
    public void Coco_json_round_trips_with_coco_field_names()
    {
        var gt = GroundTruth();
        Assert.Contains(gt.Annotations, a => a.Segmentation?.CountList is not null && a.IsCrowd == 1);
        Assert.Contains(gt.Annotations, a => a.Ignore == 1);
        var again = CocoDataset.Parse(gt.ToJson());
        Assert.Equal(gt.ToJson(), again.ToJson());
        using var doc = JsonDocument.Parse(again.ToJson());
        var ann = doc.RootElement.GetProperty("annotations")[0];
        foreach (var field in new[] { "id", "image_id", "category_id", "bbox", "area", "iscrowd", "segmentation" })
        {
            Assert.True(ann.TryGetProperty(field, out _), field);
        }

        var results = Results("segm_results");
        using var written = JsonDocument.Parse(JsonSerializer.Serialize(results, CocoJson.Options));
        var first = written.RootElement[0];
        Assert.Equal(JsonValueKind.String, first.GetProperty("segmentation").GetProperty("counts").ValueKind);
        Assert.False(first.TryGetProperty("bbox", out _));
    }
    [Fact]
    public void Malformed_ground_truth_or_results_are_invalid_data()
    {
        var boxless = GroundTruth();
        boxless.Annotations[0].Bbox = [];
        Assert.Throws<InvalidDataException>(() => CocoEvaluator.Run(boxless, Results("bbox_results"), CocoIouType.Bbox));
        var orphan = GroundTruth();
        orphan.Annotations[0].ImageId = 999;
        Assert.Throws<InvalidDataException>(() => CocoEvaluator.Run(orphan, Results("segm_results"), CocoIouType.Segm, p => p.ImageIds.Add(999)));
        var results = Results("bbox_results");
        results[3].ImageId = 999;
        Assert.Throws<InvalidDataException>(() => CocoEvaluator.Run(GroundTruth(), results, CocoIouType.Bbox));
        Assert.Throws<InvalidDataException>(() => CocoDataset.Parse("null"));
    }

    [Fact]
    public void Without_results_every_category_with_ground_truth_scores_zero()
    {
        var evaluator = CocoEvaluator.Run(GroundTruth(), [], CocoIouType.Bbox);
        Assert.Equal(0, evaluator.Stats[0]);
        Assert.Equal(0, evaluator.Stats[8]);
    }
}
