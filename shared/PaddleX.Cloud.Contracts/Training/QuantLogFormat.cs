using System.Globalization;

namespace PaddleX.Cloud.Contracts.Training;

/// <summary>
/// The progress lines of an int8 export in <c>logs/export/out.log</c>, worded as the original's post-training
/// quantisation prints them, and their reading into the <c>quant_log</c> of the export status: stage
/// <c>Batch</c> (calibration images, 0 → 10/30 of the run), <c>Weight</c> (10/30 → 13/30), <c>Activation</c>
/// (13/30 → 29/30), <c>Finish</c> (1).
/// </summary>
public static class QuantLogFormat
{
    public const string LogFile = "logs/export/out.log";
    public const string ResultFile = "logs/export/quant_result.json";

    public static string Batch(int done, int total, double seconds) =>
        $"[Run batch data] Batch={done}/{total}, time_each_batch={Seconds(seconds)} s.";

    public static string Weight(int done, int total, double seconds) =>
        $"[Calculate weight] Weight_id={done}/{total}, time_each_weight={Seconds(seconds)} s.";

    public static string Activation(int done, int total, double seconds) =>
        $"[Calculate activation] Activation_id={done}/{total}, time_each_activation={Seconds(seconds)} s.";

    public const string Finished = "Finish quant!";

    /// <summary>The stage and the 0–1 progress of the last progress line; (null, null) before the first.</summary>
    public static (string? Stage, double? RunningDuration) Parse(IEnumerable<string> lines)
    {
        foreach (var line in lines.Reverse())
        {
            if (line.Contains(Finished, StringComparison.Ordinal))
            {
                return ("Finish", 1.0);
            }

            foreach (var (marker, stage, start, span) in Stages)
            {
                if (line.Contains(marker, StringComparison.Ordinal) && Fraction(line) is double f)
                {
                    return (stage, start + (f * span));
                }
            }
        }

        return (null, null);
    }

    private static readonly (string Marker, string Stage, double Start, double Span)[] Stages =
    [
        ("[Run batch data]", "Batch", 0, 10.0 / 30),
        ("[Calculate weight]", "Weight", 10.0 / 30, 3.0 / 30),
        ("[Calculate activation]", "Activation", 13.0 / 30, 16.0 / 30),
    ];

    /// <summary>i/n of the <c>Name=i/n,</c> field (the third word from the end).</summary>
    private static double? Fraction(string line)
    {
        var words = line.TrimEnd().Split(' ');
        if (words.Length < 3)
        {
            return null;
        }

        var field = words[^3].TrimEnd(',');
        var value = field[(field.IndexOf('=', StringComparison.Ordinal) + 1)..].Split('/');
        return value.Length == 2
            && double.TryParse(value[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var done)
            && double.TryParse(value[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var total)
            && total > 0
            ? done / total
            : null;
    }

    private static string Seconds(double seconds) => seconds.ToString("F4", CultureInfo.InvariantCulture);
}
