using System.Globalization;
using System.Text;

namespace PaddleX.Cloud.Contracts.Training;

/// <summary>
/// Writes the original PaddleX training log lines (docs/api-behaviour.md §6), e.g.
/// <c>2026-11-26 21:00:00 [INFO]\t[TRAIN] Epoch=1/6, Step=2/13, loss=1.234567, lr=0.001000, acc1=0.500000, acc5=1.000000, time_each_step=0.12s, eta=0:01:02</c>.
/// </summary>
public static class PaddleXLogFormat
{
    public const string TrainComplete = "Train Complete!";
    public const string TrainError = "Training stop with error!";

    public static string Timestamp(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary><c>{time} [{LEVEL}]\t{message}</c>.</summary>
    public static string Line(DateTime time, string level, string message) => $"{Timestamp(time)} [{level}]\t{message}";

    public static string Info(DateTime time, string message) => Line(time, "INFO", message);

    /// <summary>Python <c>str(timedelta(seconds=s))</c> for whole seconds below a day: <c>h:mm:ss</c>.</summary>
    public static string Eta(double seconds)
    {
        long s = Math.Max(0, (long)Math.Round(seconds));
        return string.Create(CultureInfo.InvariantCulture, $"{s / 3600}:{s / 60 % 60:00}:{s % 60:00}");
    }

    public static string TrainStep(
        DateTime time, int epoch, int numEpochs, int step, int stepsPerEpoch, double loss, double lr,
        IEnumerable<KeyValuePair<string, double>> metrics, double secondsPerStep, double etaSeconds)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"[TRAIN] Epoch={epoch}/{numEpochs}, Step={step}/{stepsPerEpoch}, loss={F6(loss)}, lr={F6(lr)}");
        foreach (var (name, value) in metrics)
        {
            sb.Append(CultureInfo.InvariantCulture, $", {name}={F6(value)}");
        }

        sb.Append(CultureInfo.InvariantCulture, $", time_each_step={secondsPerStep:0.00}s, eta={Eta(etaSeconds)}");
        return Info(time, sb.ToString());
    }

    public static string EvalFinished(DateTime time, int epoch, IEnumerable<KeyValuePair<string, double>> metrics) =>
        EvalFinishedFields(time, epoch, metrics.Select(m => KeyValuePair.Create(m.Key, F6(m.Value))));

    /// <summary>An <c>[EVAL]</c> line from values already formatted (e.g. a per-class list <c>[0.912000 0.800000]</c>).</summary>
    public static string EvalFinishedFields(DateTime time, int epoch, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"[EVAL] Finished, Epoch={epoch}");
        foreach (var (name, value) in fields)
        {
            sb.Append(CultureInfo.InvariantCulture, $", {name}={value}");
        }

        sb.Append(" .");
        return Info(time, sb.ToString());
    }

    public static string ModelSaved(DateTime time, string dir) => Info(time, $"Model saved in {dir}.");

    /// <summary>Fixed 6 decimals, "nan"/"inf" as Python prints them.</summary>
    public static string F6(double v) =>
        double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf"
        : v.ToString("0.000000", CultureInfo.InvariantCulture);
}
