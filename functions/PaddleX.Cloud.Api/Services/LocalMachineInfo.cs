using System.Text.Json.Nodes;
using PaddleX.Cloud.Storage.Workers;

namespace PaddleX.Cloud.Api.Services;

/// <summary>This machine: CPU count and OS from the runtime, GPUs from <c>nvidia-smi</c> when the
/// NVIDIA driver is installed.</summary>
public sealed class LocalMachineInfo : IMachineInfo
{
    public async ValueTask<JsonObject> MachineInfoAsync(CancellationToken cancellationToken)
    {
        var probe = await GpuProbe.QueryAsync(cancellationToken);
        var gpus = probe?.Gpus ?? [];
        var info = new JsonObject
        {
            ["message"] = probe is null ? "未检测到GPU (no NVIDIA driver found)" : gpus.Count > 0 ? "检测到GPU" : "未检测到GPU",
            ["cpu_num"] = Environment.ProcessorCount,
            ["gpu_num"] = gpus.Count,
            ["sysstr"] = GpuProbe.SystemName(),
        };
        if (gpus.Count > 0)
        {
            info["driver_version"] = probe!.Value.Driver;
            info["gpu_free_mem"] = new JsonArray(gpus.Select(g => (JsonNode?)g.Free).ToArray());
        }

        return info;
    }

    public async ValueTask<JsonArray> GpuMemoryAsync(CancellationToken cancellationToken)
    {
        var gpus = (await GpuProbe.QueryAsync(cancellationToken))?.Gpus ?? [];
        return new JsonArray(gpus.Select(g => (JsonNode?)new JsonObject { ["free"] = g.Free, ["used"] = g.Used, ["total"] = g.Total }).ToArray());
    }
}
