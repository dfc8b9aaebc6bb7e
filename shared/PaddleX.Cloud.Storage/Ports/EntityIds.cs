using System.Globalization;

namespace PaddleX.Cloud.Storage.Ports;

/// <summary>The original id formats: prefix + at least four digits (D0001 … D9999, D10000).</summary>
public static class EntityIds
{
    public const string Dataset = "D";
    public const string Project = "P";
    public const string Task = "T";
    public const string PretrainedModel = "PM";
    public const string ExportedModel = "EM";

    public static string Format(string prefix, int number) =>
        prefix + number.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>The number of an id with the given prefix, or -1.</summary>
    public static int Parse(string prefix, string id) =>
        id.StartsWith(prefix, StringComparison.Ordinal)
        && int.TryParse(id.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
}
