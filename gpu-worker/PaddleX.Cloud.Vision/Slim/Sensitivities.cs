using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PaddleX.Cloud.Vision.Slim;

/// <summary>
/// The result of a sensitivity analysis (<c>prune/sensitivities.json</c>): for every channel group, the relative
/// drop of the first evaluation metric when its weakest channels are removed at each ratio. Written after every
/// evaluation, so an analysis that stops continues where it was.
/// </summary>
public sealed record Sensitivities
{
    public const string FileName = "sensitivities.json";

    /// <summary>The ratios every group is measured at.</summary>
    public static IReadOnlyList<double> DefaultRatios { get; } = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    [JsonPropertyName("model")] public string Model { get; init; } = "";
    [JsonPropertyName("metric")] public string Metric { get; init; } = "";
    /// <summary>The metric of the unpruned model.</summary>
    [JsonPropertyName("base")] public double Base { get; init; }
    [JsonPropertyName("ratios")] public double[] Ratios { get; init; } = [];
    [JsonPropertyName("groups")] public Dictionary<string, GroupSensitivity> Groups { get; init; } = [];
    [JsonPropertyName("complete")] public bool Complete { get; set; }

    /// <summary>Evaluations done and to do in all.</summary>
    [JsonIgnore] public int Done => Groups.Values.Sum(g => g.Loss.Count);

    [JsonIgnore] public int Total => Groups.Count * Ratios.Length;

    public static string Key(double ratio) => ratio.ToString("0.##", CultureInfo.InvariantCulture);

    public static Sensitivities? TryRead(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Sensitivities>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static Sensitivities Read(string path) =>
        TryRead(path) ?? throw new InvalidDataException($"no readable sensitivities at {path}");

    /// <summary>Written to a temporary file and renamed, so a killed analysis never leaves half a file.</summary>
    public void Write(string path)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The loss of a group at any ratio: linear between the measured ratios (0 at ratio 0) and never
    /// smaller than at a smaller ratio, so more pruning never looks cheaper.</summary>
    public double LossAt(string group, double ratio)
    {
        var points = Curve(group);
        if (ratio <= 0)
        {
            return 0;
        }

        for (var i = 1; i < points.Count; i++)
        {
            if (ratio <= points[i].Ratio)
            {
                var (r0, l0) = points[i - 1];
                var (r1, l1) = points[i];
                return l0 + ((l1 - l0) * (ratio - r0) / (r1 - r0));
            }
        }

        return points[^1].Loss;
    }

    /// <summary>The largest ratio (up to the largest measured) whose loss stays within <paramref name="loss"/>.</summary>
    public double RatioWithin(string group, double loss)
    {
        var points = Curve(group);
        var ratio = 0.0;
        for (var i = 1; i < points.Count; i++)
        {
            var (r0, l0) = points[i - 1];
            var (r1, l1) = points[i];
            if (l1 <= loss)
            {
                ratio = r1;
                continue;
            }

            ratio = l1 > l0 && loss > l0 ? r0 + ((r1 - r0) * (loss - l0) / (l1 - l0)) : r0;
            break;
        }

        return ratio;
    }

    private List<(double Ratio, double Loss)> Curve(string group)
    {
        var points = new List<(double, double)> { (0, 0) };
        var worst = 0.0;
        foreach (var r in Ratios.Order())
        {
            if (Groups[group].Loss.TryGetValue(Key(r), out var l))
            {
                worst = Math.Max(worst, l);
                points.Add((r, worst));
            }
        }

        return points;
    }
}

/// <summary>One group's channel count and loss by ratio (keys like <c>"0.3"</c>).</summary>
public sealed record GroupSensitivity
{
    [JsonPropertyName("channels")] public int Channels { get; init; }
    [JsonPropertyName("loss")] public Dictionary<string, double> Loss { get; init; } = [];
}
