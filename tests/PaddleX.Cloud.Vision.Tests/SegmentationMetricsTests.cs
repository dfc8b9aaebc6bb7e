using PaddleX.Cloud.Vision.Metrics;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>Segmentation metrics against hand-computed confusion matrices.</summary>
public sealed class SegmentationMetricsTests
{
    private static readonly string[] Three = ["bg", "a", "b"];

    [Fact]
    public void Ignored_pixels_are_skipped_and_rows_are_the_true_label()
    {
        var m = new SegmentationMetrics(Three);
        m.Add([0, 0, 1, 1, 255, 2], [0, 1, 1, 1, 2, 0]);
        Assert.Equal(new long[][] { [1, 1, 0], [0, 2, 0], [1, 0, 0] }, m.Rows());
    }

    [Fact]
    public void Scores_match_hand_computation()
    {
        // rows = truth: bg 8 px (6 right, 2 as a), a 4 px (3 right, 1 as bg), b 0 px but predicted once (from bg? no: from a)
        var m = new SegmentationMetrics(Three, new long[,] { { 6, 2, 0 }, { 1, 2, 1 }, { 0, 0, 0 } });
        double iouBg = 6.0 / (8 + 7 - 6), iouA = 2.0 / (4 + 4 - 2), iouB = 0; // b: union 1, intersection 0
        AssertClose([iouBg, iouA, iouB], m.CategoryIoU());
        Assert.Equal((iouBg + iouA + iouB) / 3, m.MeanIoU(), 12);
        Assert.Equal(8.0 / 12, m.OverallAcc(), 12);
        AssertClose([6.0 / 7, 2.0 / 4, 0], m.CategoryAcc());
        double pe = (8.0 * 7 + 4.0 * 4 + 0 * 1) / (12.0 * 12);
        Assert.Equal((8.0 / 12 - pe) / (1 - pe), m.Kappa(), 12);
        var prf = m.PerClass();
        Assert.Equal(new PrecisionRecallIoU(6.0 / 7, 6.0 / 8, iouBg), prf[0]);
        Assert.Equal(new PrecisionRecallIoU(0, -1, 0), prf[2]);
    }

    [Fact]
    public void An_absent_class_counts_as_iou_zero_in_miou_and_minus_one_in_the_report()
    {
        var m = new SegmentationMetrics(Three, new long[,] { { 5, 0, 0 }, { 0, 5, 0 }, { 0, 0, 0 } });
        Assert.Equal(2.0 / 3, m.MeanIoU(), 12);
        Assert.Equal(1.0, m.OverallAcc(), 12);
        Assert.Equal(new PrecisionRecallIoU(-1, -1, -1), m.PerClass()[2]);
    }

    [Fact]
    public void A_one_class_image_predicted_right_has_kappa_zero_and_accuracy_one()
    {
        var m = new SegmentationMetrics(["bg", "a"]);
        m.Add([0, 0, 0, 0], [0, 0, 0, 0]);
        Assert.Equal(1.0, m.OverallAcc(), 12);
        Assert.Equal(0.5, m.MeanIoU(), 12);
        Assert.Equal(0.0, m.Kappa(), 12);
    }

    [Fact]
    public void Eval_details_round_trip_as_a_confusion_matrix()
    {
        var m = new SegmentationMetrics(Three, new long[,] { { 6, 2, 0 }, { 1, 2, 1 }, { 0, 0, 3 } });
        string file = Path.Combine(TempDir.Create(), "eval_details.json");
        File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(m.Details()));
        Assert.True(SegmentationMetrics.IsSegmentationDetails(file));
        Assert.Equal(m.Rows(), SegmentationMetrics.FromEvalDetails(file).Rows());
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 12);
        }
    }
}
