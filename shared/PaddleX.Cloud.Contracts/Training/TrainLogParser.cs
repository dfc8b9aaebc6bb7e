using System.Globalization;

namespace PaddleX.Cloud.Contracts.Training;

/// <summary>A <c>download_status</c> progress object.</summary>
public sealed record DownloadProgress(string Speed, double Download, double Total);

/// <summary>The <c>train_log</c> object of GET /project/task/metrics?type=train (docs/api-behaviour.md §6).</summary>
public sealed record TrainLog
{
    /// <summary>Remaining seconds (newest line containing "eta" whose tail is h:mm:ss).</summary>
    public long? Eta { get; init; }

    /// <summary>Values are <see cref="long"/>, <see cref="double"/> or the string "nan".</summary>
    public IReadOnlyDictionary<string, object>? TrainMetrics { get; init; }

    public IReadOnlyDictionary<string, object>? EvalMetrics { get; init; }

    /// <summary>"Done", "Failed", a <see cref="DownloadProgress"/>, or null.</summary>
    public object? DownloadStatus { get; init; }

    public bool EvalDone { get; init; }

    /// <summary>The line containing "Training stop with error!", or null.</summary>
    public string? TrainError { get; init; }

    /// <summary>"Train Complete" or null.</summary>
    public string? TrainStage { get; init; }

    /// <summary>"{h}小时{m}分{s}秒" or null.</summary>
    public string? RunningDuration { get; init; }

    public string? LogFile { get; init; }
}

/// <summary>
/// Parses a PaddleX training log (out.log) the way the reference server does: lines are scanned newest first
/// and each field takes its newest matching line.
/// </summary>
public static class TrainLogParser
{
    /// <summary>Parses a log file; all fields null/false when it does not exist.</summary>
    public static TrainLog ParseFile(string path)
    {
        if (!File.Exists(path))
        {
            return new TrainLog();
        }

        string[] lines;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream))
        {
            lines = reader.ReadToEnd().Split('\n');
        }

        DateTime modified = File.GetLastWriteTime(path);
        DateTime fallbackStart = File.GetCreationTime(path);
        return Parse(lines, modified, fallbackStart) with { LogFile = path };
    }

    /// <summary>Parses log lines; <paramref name="logModified"/> drives <c>running_duration</c>.</summary>
    public static TrainLog Parse(IReadOnlyList<string> lines, DateTime? logModified = null, DateTime? fallbackStart = null)
    {
        long? eta = null;
        Dictionary<string, object>? train = null, eval = null;
        object? download = null;
        bool evalDone = false;
        string? trainError = null, trainStage = null;

        for (int i = lines.Count - 1; i >= 0; i--)
        {
            string line = lines[i].TrimEnd('\r', '\n');
            if (trainStage is null && line.Contains("Train Complete!", StringComparison.Ordinal))
            {
                trainStage = "Train Complete";
            }

            if (trainError is null && line.Contains("Training stop with error!", StringComparison.Ordinal))
            {
                trainError = line;
            }

            if (!evalDone && line.Contains("Model saved in", StringComparison.Ordinal))
            {
                evalDone = true;
            }

            download ??= ParseDownload(line);

            if (eta is null && line.Contains("eta", StringComparison.Ordinal))
            {
                eta = ParseEtaTail(line);
            }

            if (train is null && line.Contains("[INFO]\t[TRAIN]", StringComparison.Ordinal) && line.Contains("Step", StringComparison.Ordinal))
            {
                string[] tokens = Tokens(line);
                if (tokens.Length > 0 && tokens[^1].StartsWith("eta", StringComparison.Ordinal))
                {
                    train = ParseKeyValues(tokens, 4);
                }
            }

            if (eval is null && line.Contains("[INFO]\t[EVAL]", StringComparison.Ordinal) && line.Contains("Finished", StringComparison.Ordinal)
                && line.TrimEnd().EndsWith(" .", StringComparison.Ordinal))
            {
                eval = ParseKeyValues(Tokens(line), 5);
            }
        }

        return new TrainLog
        {
            Eta = eta,
            TrainMetrics = train,
            EvalMetrics = eval,
            DownloadStatus = download,
            EvalDone = evalDone,
            TrainError = trainError,
            TrainStage = trainStage,
            RunningDuration = RunningDuration(lines, logModified, fallbackStart),
        };
    }

    /// <summary>Seconds of a trailing <c>h:mm:ss</c> (e.g. <c>eta=0:01:02</c>), or null.</summary>
    public static long? ParseEtaTail(string line)
    {
        string[] tokens = Tokens(line);
        if (tokens.Length == 0)
        {
            return null;
        }

        string tail = tokens[^1];
        int eq = tail.LastIndexOf('=');
        if (eq >= 0)
        {
            tail = tail[(eq + 1)..];
        }

        string[] parts = tail.Split(':');
        if (parts.Length != 3)
        {
            return null;
        }

        if (long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long h)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long m)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long s))
        {
            return h * 3600 + m * 60 + s;
        }

        return null;
    }

    /// <summary>
    /// Tokens from <paramref name="from"/> on, each <c>name=value,</c>: the value before any "/" becomes a
    /// float when it contains ".", the string "nan" when it is "nan", else an int; unparsable tokens are dropped.
    /// </summary>
    public static Dictionary<string, object> ParseKeyValues(string[] tokens, int from)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        for (int i = from; i < tokens.Length; i++)
        {
            string token = tokens[i].TrimEnd(',');
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            string name = token[..eq];
            string value = token[(eq + 1)..].Split('/')[0];
            if (value.Contains('.', StringComparison.Ordinal))
            {
                if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
                {
                    result[name] = d;
                }
            }
            else if (value == "nan")
            {
                result[name] = "nan";
            }
            else if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
            {
                result[name] = n;
            }
        }

        return result;
    }

    private static object? ParseDownload(string line)
    {
        if (line.Contains("download completed", StringComparison.Ordinal))
        {
            return "Done";
        }

        if (line.Contains("download failed", StringComparison.Ordinal))
        {
            return "Failed";
        }

        if (line.Contains("[DEBUG]\tDownloading", StringComparison.Ordinal) && line.TrimEnd().EndsWith("KB/s", StringComparison.Ordinal))
        {
            string[] t = Tokens(line);
            if (t.Length >= 3)
            {
                string V(string kv) => kv.TrimEnd(',')[(kv.IndexOf('=', StringComparison.Ordinal) + 1)..];
                string speed = V(t[^1]);
                if (double.TryParse(V(t[^3]), NumberStyles.Float, CultureInfo.InvariantCulture, out double done)
                    && double.TryParse(V(t[^2]), NumberStyles.Float, CultureInfo.InvariantCulture, out double total))
                {
                    return new DownloadProgress(speed, done, total);
                }
            }
        }

        return null;
    }

    private static string? RunningDuration(IReadOnlyList<string> lines, DateTime? modified, DateTime? fallbackStart)
    {
        if (modified is null)
        {
            return null;
        }

        DateTime? start = null;
        foreach (string line in lines)
        {
            string[] t = Tokens(line);
            if (t.Length >= 2 && DateTime.TryParseExact($"{t[0]} {t[1]}", "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime ts))
            {
                start = ts;
                break;
            }
        }

        start ??= fallbackStart;
        if (start is null)
        {
            return null;
        }

        long seconds = (long)(modified.Value - start.Value).TotalSeconds % 86400;
        if (seconds < 0)
        {
            seconds += 86400;
        }

        return $"{seconds / 3600}小时{seconds / 60 % 60}分{seconds % 60}秒";
    }

    private static string[] Tokens(string line) => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}
