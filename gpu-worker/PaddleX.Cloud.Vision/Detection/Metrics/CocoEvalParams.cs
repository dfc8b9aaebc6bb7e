namespace PaddleX.Cloud.Vision.Detection.Metrics;

public enum CocoIouType
{
    Bbox,
    Segm,
}

/// <summary>COCOeval's parameters with its defaults: IoU thresholds .50:.05:.95, 101 recall thresholds, area ranges
/// all/small/medium/large, 1/10/100 detections per image. All of them may be overridden before
/// <see cref="CocoEvaluator.Evaluate"/>.</summary>
public sealed class CocoEvalParams
{
    public CocoIouType IouType { get; set; }

    /// <summary>Images evaluated (default: every ground-truth image).</summary>
    public List<long> ImageIds { get; set; } = [];

    /// <summary>Categories evaluated (default: every ground-truth category).</summary>
    public List<long> CategoryIds { get; set; } = [];

    public double[] IouThresholds { get; set; } = Linspace(.5, .95, 10);

    public double[] RecallThresholds { get; set; } = Linspace(0, 1, 101);

    public int[] MaxDetections { get; set; } = [1, 10, 100];

    public (double Min, double Max)[] AreaRanges { get; set; } = [(0, 1e10), (0, 32 * 32), (32 * 32, 96 * 96), (96 * 96, 1e10)];

    public string[] AreaLabels { get; set; } = ["all", "small", "medium", "large"];

    /// <summary>numpy's <c>linspace</c> to the last bit (start + i·step, the end point exact), so that thresholds
    /// compare equal to the reference's.</summary>
    public static double[] Linspace(double start, double stop, int count)
    {
        var values = new double[count];
        if (count == 1)
        {
            values[0] = start;
            return values;
        }

        var step = (stop - start) / (count - 1);
        for (var i = 0; i < count; i++)
        {
            values[i] = (i * step) + start;
        }

        values[^1] = stop;
        return values;
    }
}
