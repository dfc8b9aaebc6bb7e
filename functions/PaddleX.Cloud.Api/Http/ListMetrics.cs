using System.Diagnostics.Metrics;

namespace PaddleX.Cloud.Api.Http;

/// <summary>How whole-list reads find their body (<see cref="ListBodyCache"/>): cached (the version's
/// body was ready), waited (another reader made it meanwhile) or made, and how long making one took.
/// Read with any metrics listener (the store benchmark reports them per run).</summary>
internal static class ListMetrics
{
    public const string MeterName = "PaddleX.Cloud.Api.Lists";

    public static readonly KeyValuePair<string, object?> Cached = new("body", "cached");

    public static readonly KeyValuePair<string, object?> Waited = new("body", "waited");

    public static readonly KeyValuePair<string, object?> Made = new("body", "made");

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Reads = Meter.CreateCounter<long>("paddlex.list.reads", description: "whole-list reads by how their body was found");

    public static readonly Histogram<double> MakeTime = Meter.CreateHistogram<double>("paddlex.list.body_make", "ms", "time to make (and compress) a list body");
}
