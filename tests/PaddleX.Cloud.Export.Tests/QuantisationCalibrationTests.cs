using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Vision.Quantisation;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>How calibration turns what it saw into ranges, and how the export status reads the progress lines.</summary>
public sealed class QuantisationCalibrationTests
{
    /// <summary>ReLU-like values: a dense bulk in [0, 1] and a handful of outliers up to 50. Min/max keeps the
    /// outliers; KL and the percentile clip them so the bulk gets fine steps; every range holds 0.</summary>
    [Fact]
    public void Histogram_methods_clip_rare_outliers_that_min_max_keeps()
    {
        var rng = new Random(5);
        var stats = new TensorStatistics();
        for (var batch = 0; batch < 8; batch++)
        {
            var values = Enumerable.Range(0, 20_000).Select(_ => (float)Math.Abs(rng.NextDouble() * rng.NextDouble())).ToArray();
            values[batch] = 10f * (batch + 1) / 1.6f; // outliers grow batch by batch: the histogram widens
            stats.Add(values);
        }

        Assert.Equal((0f, 50f), stats.Range(CalibrationMethod.MinMax));
        var (klMin, klMax) = stats.Range(CalibrationMethod.Kl);
        var (pMin, pMax) = stats.Range(CalibrationMethod.Percentile);
        Assert.Equal(0f, klMin);
        Assert.Equal(0f, pMin);
        Assert.InRange(klMax, 0.5f, 50f * 256 / TensorStatistics.Bins); // KL never cuts below 256 of the 2048 bins
        Assert.InRange(pMax, 0.9f, 1.2f);
    }

    /// <summary>A ReLU output is half exact zeros; any range holds them exactly, so the KL cut must be the one the
    /// non-zero values alone give (their spike in the first bin used to pull the cut to a fraction of the range).</summary>
    [Fact]
    public void Kl_cut_of_a_relu_output_ignores_its_exact_zeros()
    {
        var rng = new Random(7);
        var bulk = Enumerable.Range(0, 40_000).Select(_ => (float)Math.Abs(Gaussian(rng))).ToArray();
        var (positive, relu) = (new TensorStatistics(), new TensorStatistics());
        positive.Add(bulk);
        relu.Add(bulk.Concat(new float[bulk.Length]).ToArray());

        Assert.Equal(bulk.Length, relu.Zeros);
        Assert.Equal(positive.Range(CalibrationMethod.Kl), relu.Range(CalibrationMethod.Kl));
        Assert.InRange(relu.Range(CalibrationMethod.Kl).Max, positive.PercentileThreshold(0.99), positive.Max);
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Fact]
    public void Signed_values_get_a_range_on_both_sides_and_constants_a_range_holding_zero()
    {
        var stats = new TensorStatistics();
        stats.Add([-3f, -1f, 0.5f, 2f]);
        Assert.Equal((-3f, 2f), stats.Range(CalibrationMethod.MinMax));
        var constant = new TensorStatistics();
        constant.Add([4f, 4f, 4f]);
        Assert.Equal((0f, 4f), constant.Range(CalibrationMethod.MinMax));
        Assert.Equal((0f, 0f), new TensorStatistics().Range(CalibrationMethod.Kl));
    }

    [Fact]
    public void Progress_lines_read_back_as_stage_and_fraction()
    {
        var lines = new List<string> { "2026-11-30 12:00:00 [INFO]\tQuantising task T0001" };
        Assert.Equal((null, null), QuantLogFormat.Parse(lines));
        lines.Add("2026-11-30 12:00:01 [INFO]\t" + QuantLogFormat.Batch(5, 10, 0.25));
        Assert.Equal(("Batch", R(5.0 / 30)), Rounded(QuantLogFormat.Parse(lines)));
        lines.Add("2026-11-30 12:00:02 [INFO]\t" + QuantLogFormat.Weight(21, 21, 0.01));
        Assert.Equal(("Weight", R(13.0 / 30)), Rounded(QuantLogFormat.Parse(lines)));
        lines.Add("2026-11-30 12:00:03 [INFO]\t" + QuantLogFormat.Activation(1, 4, 0.02));
        lines.Add("2026-11-30 12:00:03 [INFO]\tsomething else");
        Assert.Equal(("Activation", R((13.0 / 30) + (4.0 / 30))), Rounded(QuantLogFormat.Parse(lines)));
        lines.Add("2026-11-30 12:00:04 [INFO]\t" + QuantLogFormat.Finished);
        Assert.Equal(("Finish", R(1.0)), Rounded(QuantLogFormat.Parse(lines)));
        Assert.Equal("[Run batch data] Batch=5/10, time_each_batch=0.2500 s.", QuantLogFormat.Batch(5, 10, 0.25));
    }

    private static double? R(double v) => Math.Round(v, 9);

    private static (string?, double?) Rounded((string? Stage, double? Fraction) p) => (p.Stage, p.Fraction is double f ? Math.Round(f, 9) : null);
}
