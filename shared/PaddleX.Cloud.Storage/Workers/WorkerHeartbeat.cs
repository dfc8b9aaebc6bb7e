using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Workers;

/// <summary>What a worker process reports about itself every few seconds: one small JSON file per
/// worker under <see cref="Prefix"/> in the workspace's artifact store (a blob in the cloud), so it
/// works with every backend without changing a port. The API's machine information aggregates the
/// reports younger than a minute.</summary>
public sealed class WorkerHeartbeat
{
    /// <summary>The artifact-store folder of the heartbeat files.</summary>
    public const string Prefix = "workers";

    [JsonPropertyName("worker_id")]
    public string WorkerId { get; set; } = string.Empty;

    [JsonPropertyName("host")]
    public string Host { get; set; } = string.Empty;

    [JsonPropertyName("pid")]
    public int ProcessId { get; set; }

    [JsonPropertyName("sysstr")]
    public string System { get; set; } = string.Empty;

    [JsonPropertyName("cpu_num")]
    public int CpuCount { get; set; }

    /// <summary>Memory the process may use (physical memory or the container limit), MiB.</summary>
    [JsonPropertyName("memory_total_mb")]
    public long MemoryTotalMb { get; set; }

    /// <summary>Memory available on the machine (Linux: MemAvailable), MiB; 0 when unknown.</summary>
    [JsonPropertyName("memory_available_mb")]
    public long MemoryAvailableMb { get; set; }

    [JsonPropertyName("driver_version")]
    public string DriverVersion { get; set; } = string.Empty;

    [JsonPropertyName("gpus")]
    public List<GpuReport> Gpus { get; set; } = [];

    [JsonPropertyName("running_jobs")]
    public List<string> RunningJobs { get; set; } = [];

    [JsonPropertyName("started")]
    public DateTimeOffset Started { get; set; }

    /// <summary>When this report was written (UTC).</summary>
    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; set; }

    /// <summary>The file of one worker: <c>workers/{host}-{pid}.json</c> (characters outside
    /// [A-Za-z0-9._-] become '_').</summary>
    public static string PathOf(string workerId) => $"{Prefix}/{Sanitize(workerId)}.json";

    public static string IdOf(string host, int pid) => string.Create(CultureInfo.InvariantCulture, $"{host}-{pid}");

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Null for a file that is not a heartbeat (garbage is ignored, never fatal).</summary>
    public static WorkerHeartbeat? Parse(Stream json)
    {
        try
        {
            var heartbeat = JsonSerializer.Deserialize<WorkerHeartbeat>(json, Json);
            return heartbeat is { WorkerId.Length: > 0 } ? heartbeat : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The reports in <paramref name="store"/> written within <paramref name="maxAge"/> of
    /// <paramref name="now"/>, ordered by worker id.</summary>
    public static async Task<IReadOnlyList<WorkerHeartbeat>> ReadLiveAsync(IArtifactStore store, DateTimeOffset now, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var live = new List<WorkerHeartbeat>();
        foreach (var entry in await store.ListAsync(Prefix, cancellationToken))
        {
            if (!entry.Path.EndsWith(".json", StringComparison.Ordinal) || now - entry.LastModified > maxAge + maxAge)
            {
                continue;
            }

            WorkerHeartbeat? heartbeat;
            try
            {
                await using var stream = await store.OpenReadAsync(entry.Path, cancellationToken);
                heartbeat = Parse(stream);
            }
            catch (FileNotFoundException)
            {
                continue; // the worker stopped and removed its file meanwhile
            }

            if (heartbeat is not null && now - heartbeat.Time <= maxAge && heartbeat.Time - now <= maxAge)
            {
                live.Add(heartbeat);
            }
        }

        return live.OrderBy(h => h.WorkerId, StringComparer.Ordinal).ToList();
    }

    private static string Sanitize(string id)
    {
        var builder = new StringBuilder(id.Length);
        foreach (var c in id)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        }

        return builder.ToString();
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
}

/// <summary>One GPU of a worker, memory in MiB as nvidia-smi reports it.</summary>
public sealed class GpuReport
{
    [JsonPropertyName("index")]
    public int Index { get; set; }

    [JsonPropertyName("name")]
    public string Name { get; set; } = string.Empty;

    [JsonPropertyName("free")]
    public int Free { get; set; }

    [JsonPropertyName("used")]
    public int Used { get; set; }

    [JsonPropertyName("total")]
    public int Total { get; set; }
}
