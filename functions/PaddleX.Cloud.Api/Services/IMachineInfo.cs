using System.Text.Json.Nodes;

namespace PaddleX.Cloud.Api.Services;

/// <summary>What <c>GET /system</c> reports: this machine locally, the workers' reports in the cloud.</summary>
public interface IMachineInfo
{
    /// <summary>The <c>info</c> object: message, cpu_num, gpu_num, sysstr[, driver_version, gpu_free_mem].</summary>
    ValueTask<JsonObject> MachineInfoAsync(CancellationToken cancellationToken);

    /// <summary>The <c>gpu_mem_infos</c> list: one {free, used, total} (MiB) per GPU; empty without GPUs.</summary>
    ValueTask<JsonArray> GpuMemoryAsync(CancellationToken cancellationToken);
}
