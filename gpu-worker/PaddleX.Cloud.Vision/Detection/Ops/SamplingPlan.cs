using System.Numerics;
using TorchSharp;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// RoIAlign as a sparse matrix in row-compressed form: output cell r (roi, ph, pw) = Σ weight · table row over its
/// entries, the bilinear corners of its samples (torchvision's positions, clamping and weights) over the sample count.
/// </summary>
internal sealed class SamplingPlan
{
    private readonly int[] rowStart;
    private readonly int[] cells;
    private readonly float[] weights;

    private SamplingPlan(int[] rowStart, int[] cells, float[] weights, long tableRows)
    {
        this.rowStart = rowStart;
        this.cells = cells;
        this.weights = weights;
        TableRows = tableRows;
    }

    /// <summary>Output cells (rois × oh × ow).</summary>
    public long Rows => rowStart.Length - 1;

    /// <summary>Feature cells of all levels and images (rows of the channels-last table).</summary>
    public long TableRows { get; }

    public static SamplingPlan Build(RoiBins[] bins, int[] levelOf, (long Offset, long Height, long Width)[] levels, long tableRows,
        int outputHeight, int outputWidth)
    {
        var rowStart = new int[bins.Length * outputHeight * outputWidth + 1];
        var cells = new List<int>();
        var weights = new List<float>();
        int row = 0;
        for (int k = 0; k < bins.Length; k++)
        {
            RoiBins b = bins[k];
            var (offset, height, width) = levels[levelOf[k]];
            long image = offset + b.Batch * height * width;
            int gh = Math.Max(b.GridH, 0), gw = Math.Max(b.GridW, 0);
            var ys = new float[outputHeight * gh];
            var xs = new float[outputWidth * gw];
            b.SamplePositions(ys, xs);
            for (int ph = 0; ph < outputHeight; ph++)
            {
                for (int pw = 0; pw < outputWidth; pw++)
                {
                    for (int iy = 0; iy < gh; iy++)
                    {
                        for (int ix = 0; ix < gw; ix++)
                        {
                            AddSample(cells, weights, image, height, width, ys[ph * gh + iy], xs[pw * gw + ix], b.Count);
                        }
                    }

                    rowStart[++row] = cells.Count;
                }
            }
        }

        return new SamplingPlan(rowStart, cells.ToArray(), weights.ToArray(), tableRows);
    }

    /// <summary>[Rows, C] pooled values from the [TableRows, C] table.</summary>
    public float[] Gather(float[] table, int channels)
    {
        var output = new float[Rows * channels];
        ForParts(Rows, (from, to) =>
        {
            for (long r = from; r < to; r++)
            {
                var destination = output.AsSpan((int)(r * channels), channels);
                for (int e = rowStart[r]; e < rowStart[r + 1]; e++)
                {
                    Axpy(weights[e], table.AsSpan(cells[e] * channels, channels), destination);
                }
            }
        });
        return output;
    }

    /// <summary>[TableRows, C] table gradient from the [Rows, C] output gradient.</summary>
    public float[] Scatter(float[] gradOutput, int channels)
    {
        var grad = new float[TableRows * channels];
        ForParts(channels, (from, to) =>
        {
            int c0 = (int)from, length = (int)(to - from);
            for (long r = 0; r < Rows; r++)
            {
                var source = gradOutput.AsSpan((int)(r * channels) + c0, length);
                for (int e = rowStart[r]; e < rowStart[r + 1]; e++)
                {
                    Axpy(weights[e], source, grad.AsSpan(cells[e] * channels + c0, length));
                }
            }
        });
        return grad;
    }

    private static void AddSample(List<int> cells, List<float> weights, long image, long height, long width, float y, float x, float count)
    {
        if (!RoiBins.Inside(y, x, height, width))
        {
            return;
        }

        y = RoiBins.ClampToMap(y, height);
        x = RoiBins.ClampToMap(x, width);
        long yLow = (long)y, xLow = (long)x;
        long yHigh = Math.Min(yLow + 1, height - 1), xHigh = Math.Min(xLow + 1, width - 1);
        float ly = y - yLow, lx = x - xLow, hy = 1 - ly, hx = 1 - lx;
        Add(image + yLow * width + xLow, hy * hx);
        Add(image + yLow * width + xHigh, hy * lx);
        Add(image + yHigh * width + xLow, ly * hx);
        Add(image + yHigh * width + xHigh, ly * lx);

        void Add(long cell, float weight)
        {
            cells.Add((int)cell);
            weights.Add(weight / count);
        }
    }

    /// <summary>y += a·x over a channel row.</summary>
    private static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<float>(a);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                (new Vector<float>(y[i..]) + va * new Vector<float>(x[i..])).CopyTo(y[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] += a * x[i];
        }
    }

    /// <summary>Splits [0, n) into one contiguous part per libtorch thread (the configured CPU budget).</summary>
    private static void ForParts(long n, Action<long, long> body)
    {
        int parts = (int)Math.Clamp(Math.Min(torch.get_num_threads(), n), 1, 64);
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p => body(n * p / parts, n * (p + 1) / parts));
    }
}
