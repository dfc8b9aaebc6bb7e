using System.Text.Json.Nodes;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Storage.Workers;

namespace PaddleX.Cloud.Api.Services;

/// <summary>The cloud's machine information (<c>Backend=azure</c>): the API process trains nothing,
/// so it reports the live workers, those whose heartbeat (<c>workers/*.json</c> in the artifact
/// store) is younger than <see cref="MaxAge"/>. <c>cpu_num</c> is the sum of the workers' CPUs,
/// <c>gpu_num</c> the total of their GPUs, <c>gpu_free_mem</c> / <c>gpu_mem_infos</c> every GPU of
/// every live worker in worker-id order, and <c>workers</c> the reports themselves. With no live
/// worker: <c>gpu_num</c> 0 and a message saying so.</summary>
public sealed class WorkerMachineInfo(IArtifactStore artifacts, TimeProvider clock) : IMachineInfo
{
    public const string NoWorkerMessage = "没有在线的worker (no worker is online)";

    /// <summary>A heartbeat older than this is a worker that is gone.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);

    public async ValueTask<JsonObject> MachineInfoAsync(CancellationToken cancellationToken)
    {
        var workers = await LiveAsync(cancellationToken);
        var gpus = workers.SelectMany(w => w.Gpus).ToList();
        var info = new JsonObject
        {
            ["message"] = workers.Count == 0 ? NoWorkerMessage
                : gpus.Count > 0 ? $"检测到GPU ({workers.Count} worker(s) online)" : $"未检测到GPU ({workers.Count} worker(s) online)",
            ["cpu_num"] = workers.Sum(w => w.CpuCount),
            ["gpu_num"] = gpus.Count,
            ["sysstr"] = workers.Count > 0 ? workers[0].System : "Linux",
        };
        if (gpus.Count > 0)
        {
            info["driver_version"] = workers.First(w => w.Gpus.Count > 0).DriverVersion;
            info["gpu_free_mem"] = new JsonArray(gpus.Select(g => (JsonNode?)g.Free).ToArray());
        }

        info["workers"] = new JsonArray(workers.Select(w => JsonNode.Parse(w.ToJson())).ToArray());
        return info;
    }

    public async ValueTask<JsonArray> GpuMemoryAsync(CancellationToken cancellationToken)
    {
        var workers = await LiveAsync(cancellationToken);
        return new JsonArray(workers
            .SelectMany(w => w.Gpus.Select(g => (JsonNode?)new JsonObject { ["free"] = g.Free, ["used"] = g.Used, ["total"] = g.Total, ["worker"] = w.WorkerId, ["index"] = g.Index }))
            .ToArray());
    }

    private async Task<IReadOnlyList<WorkerHeartbeat>> LiveAsync(CancellationToken cancellationToken) =>
        await WorkerHeartbeat.ReadLiveAsync(artifacts, clock.GetUtcNow(), MaxAge, cancellationToken);
}
