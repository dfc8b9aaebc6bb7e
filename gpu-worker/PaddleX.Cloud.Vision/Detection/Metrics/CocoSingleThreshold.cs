namespace PaddleX.Cloud.Vision.Detection.Metrics;

/// <summary>mAP at one IoU threshold (−1 when no category has ground truth, null without any result) and per-class
/// AP in the ground truth's category order (null for a category without ground truth).</summary>
public sealed record SingleThresholdMap(double? Map, IReadOnlyList<double?> ClassAps);

/// <summary>
/// The instance-segmentation report's box and mask mAP: COCOeval with the single IoU threshold
/// <c>overlap</c>, read at area "all" and 100 detections; a class's AP is the sum of its 101 interpolated
/// precisions divided by 101.
/// </summary>
public static class CocoSingleThreshold
{
    public static SingleThresholdMap Evaluate(CocoDataset groundTruth, IReadOnlyList<CocoResult> results, CocoIouType type, double overlap)
    {
        if (results.Count == 0)
        {
            return new SingleThresholdMap(null, groundTruth.Categories.Select(_ => (double?)null).ToList());
        }

        var evaluator = new CocoEvaluator(groundTruth, results, type);
        evaluator.Params.IouThresholds = [overlap];
        evaluator.Evaluate();
        evaluator.Accumulate();
        var map = evaluator.Mean(true, overlap, "all", 100);
        var area = Array.IndexOf(evaluator.Params.AreaLabels, "all");
        var maxDet = Array.IndexOf(evaluator.Params.MaxDetections, 100);
        var classAps = new List<double?>();
        foreach (var category in groundTruth.Categories)
        {
            var k = evaluator.Params.CategoryIds.IndexOf(category.Id);
            double sum = 0;
            var any = false;
            for (var r = 0; r < evaluator.Params.RecallThresholds.Length; r++)
            {
                var p = evaluator.Precision[0, r, k, area, maxDet];
                if (p > -1)
                {
                    sum += p;
                    any = true;
                }
            }

            classAps.Add(any ? sum / 101 : null);
        }

        return new SingleThresholdMap(map, classAps);
    }
}
