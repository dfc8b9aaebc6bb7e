using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace PaddleX.Cloud.Bench.Store;

/// <summary>Counters of the process it runs in, written every 200 ms as <c>name=value</c> lines to a
/// file the load generator reads before and after a run (every value only grows, so two readings
/// subtract): bytes allocated (all, and on the large- and pinned-object heaps, from the runtime's
/// allocation ticks, one per ~100 KB, also by type), collections per generation, GC pause time and pauses by
/// length, the thread pool's threads and queue, and the list bodies' metrics of the API.</summary>
internal sealed class RuntimeStats : EventListener
{
    public const string FileVariable = "PXBENCH_STATS";

    /// <summary>Prefix of the sampled bytes allocated per type (allocation ticks name the type that
    /// crossed each ~100 KB).</summary>
    public const string TypePrefix = "type:";

    private static readonly double[] PauseBuckets = [1, 5, 10, 20, 50, 100];

    private readonly object gate = new();
    private readonly long[] pausesAtLeast = new long[PauseBuckets.Length];
    private readonly Dictionary<string, double> metrics = [];
    private readonly Dictionary<string, long> byType = [];
    private long largeBytes;
    private long pinnedBytes;
    private DateTime suspended;
    private double maxPauseMs;
    private long queueSum;
    private long queueSamples;
    private long queueMax;
    private int threadsMax;

    private RuntimeStats()
    {
    }

    public static void Start(string path)
    {
        var stats = new RuntimeStats();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name.StartsWith("PaddleX.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => stats.Add(instrument.Name, tags, value));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => stats.Add(instrument.Name, tags, value));
        listener.Start();
        var thread = new Thread(() => stats.WriteLoop(path, listener)) { IsBackground = true, Name = "bench runtime stats" };
        thread.Start();
    }

    /// <summary>Reads a file written by <see cref="Start"/>; empty when there is none.</summary>
    public static Dictionary<string, double> Read(string? path)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        if (path is null || !File.Exists(path))
        {
            return values;
        }

        foreach (var line in File.ReadAllLines(path))
        {
            var split = line.IndexOf('=', StringComparison.Ordinal);
            if (split > 0)
            {
                values[line[..split]] = double.Parse(line[(split + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return values;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        var name = eventData.EventName ?? string.Empty;
        if (name.StartsWith("GCAllocationTick", StringComparison.Ordinal))
        {
            var kind = Convert.ToInt32(Payload(eventData, "AllocationKind"), CultureInfo.InvariantCulture);
            var amount = Convert.ToInt64(Payload(eventData, "AllocationAmount64") ?? Payload(eventData, "AllocationAmount"), CultureInfo.InvariantCulture);
            var type = Payload(eventData, "TypeName") as string ?? "?";
            lock (gate)
            {
                byType[type] = byType.GetValueOrDefault(type) + amount;
            }

            if (kind == 1)
            {
                Interlocked.Add(ref largeBytes, amount);
            }
            else if (kind == 2)
            {
                Interlocked.Add(ref pinnedBytes, amount);
            }
        }
        else if (name.StartsWith("GCSuspendEEBegin", StringComparison.Ordinal))
        {
            suspended = eventData.TimeStamp;
        }
        else if (name.StartsWith("GCRestartEEEnd", StringComparison.Ordinal) && suspended != default)
        {
            var pause = (eventData.TimeStamp - suspended).TotalMilliseconds;
            suspended = default;
            lock (gate)
            {
                maxPauseMs = Math.Max(maxPauseMs, pause);
                for (var b = 0; b < PauseBuckets.Length; b++)
                {
                    pausesAtLeast[b] += pause >= PauseBuckets[b] ? 1 : 0;
                }
            }
        }
    }

    private static object? Payload(EventWrittenEventArgs eventData, string name)
    {
        var at = eventData.PayloadNames?.IndexOf(name) ?? -1;
        return at >= 0 ? eventData.Payload![at] : null;
    }

    private void Add(string instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags, double value)
    {
        var key = instrument;
        foreach (var tag in tags)
        {
            key += "." + tag.Value;
        }

        lock (gate)
        {
            metrics[key + ".sum"] = metrics.GetValueOrDefault(key + ".sum") + value;
            metrics[key + ".count"] = metrics.GetValueOrDefault(key + ".count") + 1;
            metrics[key + ".max"] = Math.Max(metrics.GetValueOrDefault(key + ".max"), value);
        }
    }

    private void WriteLoop(string path, MeterListener listener)
    {
        GC.KeepAlive(listener);
        var temporary = path + ".tmp";
        while (true)
        {
            for (var i = 0; i < 4; i++)
            {
                Thread.Sleep(50);
                var queued = ThreadPool.PendingWorkItemCount;
                queueSum += queued;
                queueSamples++;
                queueMax = Math.Max(queueMax, queued);
                threadsMax = Math.Max(threadsMax, ThreadPool.ThreadCount);
            }

            var text = new StringBuilder();
            void Line(string name, double value) => text.Append(CultureInfo.InvariantCulture, $"{name}={value}\n");
            Line("allocated_bytes", GC.GetTotalAllocatedBytes());
            Line("loh_bytes", Interlocked.Read(ref largeBytes));
            Line("poh_bytes", Interlocked.Read(ref pinnedBytes));
            for (var generation = 0; generation <= 2; generation++)
            {
                Line($"gc{generation}", GC.CollectionCount(generation));
            }

            Line("pause_ms", GC.GetTotalPauseDuration().TotalMilliseconds);
            var memory = GC.GetGCMemoryInfo();
            Line("heap_bytes", memory.HeapSizeBytes);
            Line("committed_bytes", memory.TotalCommittedBytes);
            Line("threads", ThreadPool.ThreadCount);
            Line("threads_max", threadsMax);
            Line("queue_sum", queueSum);
            Line("queue_samples", queueSamples);
            Line("queue_max", queueMax);
            lock (gate)
            {
                Line("pause_max_ms", maxPauseMs);
                for (var b = 0; b < PauseBuckets.Length; b++)
                {
                    Line($"pauses_{PauseBuckets[b]}ms", pausesAtLeast[b]);
                }

                foreach (var (name, value) in metrics)
                {
                    Line(name, value);
                }

                foreach (var (type, bytes) in byType)
                {
                    Line(TypePrefix + type.Replace('=', '_').Replace('\n', ' '), bytes);
                }
            }

            File.WriteAllText(temporary, text.ToString());
            File.Move(temporary, path, overwrite: true);
        }
    }
}
