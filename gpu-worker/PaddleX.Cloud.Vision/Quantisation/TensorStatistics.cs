namespace PaddleX.Cloud.Vision.Quantisation;

/// <summary>
/// What calibration saw of one activation: its minimum, maximum and a histogram of |x| (2048 bins over
/// [0, the largest |x| so far]; when a larger value arrives the bins are widened and the old counts moved
/// into them, so one pass over the images is enough).
/// </summary>
public sealed class TensorStatistics
{
    public const int Bins = 2048;

    private readonly double[] histogram = new double[Bins];

    public float Min { get; private set; } = float.PositiveInfinity;

    public float Max { get; private set; } = float.NegativeInfinity;

    /// <summary>The upper edge of the histogram (the largest |x| seen).</summary>
    public float HistogramTop { get; private set; }

    public long Count { get; private set; }

    /// <summary>Values that were exactly 0 (counted in the first bin too; every range represents them exactly).</summary>
    public long Zeros { get; private set; }

    public void Add(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
        {
            return;
        }

        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in values)
        {
            Zeros += v == 0 ? 1 : 0;
            if (float.IsFinite(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }

        if (!float.IsFinite(min))
        {
            return;
        }

        Min = Math.Min(Min, min);
        Max = Math.Max(Max, max);
        var top = Math.Max(Math.Abs(min), Math.Abs(max));
        if (top > HistogramTop)
        {
            Widen(top);
        }

        if (HistogramTop <= 0)
        {
            histogram[0] += values.Length;
        }
        else
        {
            var perBin = Bins / HistogramTop;
            foreach (var v in values)
            {
                if (float.IsFinite(v))
                {
                    histogram[Math.Min(Bins - 1, (int)(Math.Abs(v) * perBin))]++;
                }
            }
        }

        Count += values.Length;
    }

    /// <summary>The float range the tensor is quantised over; always holds 0 so zero stays exact.</summary>
    public (float Min, float Max) Range(CalibrationMethod method)
    {
        if (Count == 0)
        {
            return (0, 0);
        }

        float lo = Math.Min(0, Min), hi = Math.Max(0, Max);
        if (method == CalibrationMethod.MinMax || HistogramTop <= 0)
        {
            return (lo, hi);
        }

        // Non-negative tensors (ReLU outputs) get all 256 levels on one side; signed ones 128 per side.
        var threshold = method == CalibrationMethod.Kl ? KlThreshold(lo >= 0 ? 255 : 128) : PercentileThreshold(0.9999);
        return (Math.Max(lo, -threshold), Math.Min(hi, threshold));
    }

    /// <summary>The |x| below which the given share of the values lies (upper edge of its bin).</summary>
    public float PercentileThreshold(double share)
    {
        var total = histogram.Sum();
        double seen = 0;
        for (var i = 0; i < Bins; i++)
        {
            seen += histogram[i];
            if (seen >= share * total)
            {
                return (i + 1) * HistogramTop / Bins;
            }
        }

        return HistogramTop;
    }

    /// <summary>Entropy calibration over the values that are not exactly 0: for each candidate cut i (levels…2048 bins) the seen distribution P (values
    /// beyond the cut folded into its last bin) is compared with Q, the same bins merged into
    /// <paramref name="levels"/> quantisation steps and spread back over the bins that held values;
    /// the cut with the smallest KL(P‖Q) wins.</summary>
    public float KlThreshold(int levels)
    {
        // Exact zeros (half of a ReLU output) stay exact whatever the cut, so they say nothing about it; left in,
        // their spike in the first bin outweighs the rest and KL cut ResNet18's ReLU outputs to a quarter of their
        // range (int8 top-1 1.0 -> 0.49 once precise BN made the activations less heavy-tailed).
        var histogram = (double[])this.histogram.Clone();
        histogram[0] -= Zeros;

        var bestCut = Bins;
        var bestDivergence = double.PositiveInfinity;
        var p = new double[Bins];
        var q = new double[Bins];
        var tail = histogram.Sum();
        var head = 0.0;
        for (var i = 0; i < levels; i++)
        {
            head += histogram[i];
        }

        for (var cut = levels; cut <= Bins; cut++)
        {
            if (cut > levels)
            {
                head += histogram[cut - 1];
            }

            var outliers = tail - head;
            if (histogram[cut - 1] == 0 && cut < Bins)
            {
                continue; // the same P as a shorter cut with a zero bin appended: no better
            }

            Array.Copy(histogram, p, cut);
            p[cut - 1] += outliers;
            Array.Clear(q, 0, cut);
            var perLevel = (double)cut / levels;
            for (var level = 0; level < levels; level++)
            {
                int start = (int)(level * perLevel), end = level == levels - 1 ? cut : (int)((level + 1) * perLevel);
                double sum = 0;
                var nonZero = 0;
                for (var j = start; j < end; j++)
                {
                    sum += histogram[j];
                    nonZero += histogram[j] > 0 ? 1 : 0;
                }

                for (var j = start; j < end && nonZero > 0; j++)
                {
                    q[j] = histogram[j] > 0 ? sum / nonZero : 0;
                }
            }

            var divergence = Divergence(p, q, cut);
            if (divergence < bestDivergence)
            {
                (bestDivergence, bestCut) = (divergence, cut);
            }
        }

        return bestCut * HistogramTop / Bins;
    }

    private static double Divergence(double[] p, double[] q, int length)
    {
        double sp = 0, sq = 0;
        for (var i = 0; i < length; i++)
        {
            sp += p[i];
            sq += q[i];
        }

        if (sp <= 0 || sq <= 0)
        {
            return double.PositiveInfinity;
        }

        double divergence = 0;
        for (var i = 0; i < length; i++)
        {
            if (p[i] <= 0)
            {
                continue;
            }

            // A bin the quantised histogram leaves empty costs as if it held a tiny share, not infinity.
            var qi = q[i] > 0 ? q[i] / sq : 1e-12;
            var pi = p[i] / sp;
            divergence += pi * Math.Log(pi / qi);
        }

        return divergence;
    }

    private void Widen(float top)
    {
        if (HistogramTop > 0)
        {
            var old = (double[])histogram.Clone();
            Array.Clear(histogram);
            var ratio = HistogramTop / top;
            for (var i = 0; i < Bins; i++)
            {
                if (old[i] > 0)
                {
                    histogram[Math.Min(Bins - 1, (int)((i + 0.5) * ratio))] += old[i];
                }
            }
        }

        HistogramTop = top;
    }
}
