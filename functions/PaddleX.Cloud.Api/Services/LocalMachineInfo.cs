using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace PaddleX.Cloud.Api.Services;

/// <summary>This machine: CPU count and OS from the runtime, GPUs from <c>nvidia-smi</c> when the
/// NVIDIA driver is installed.</summary>
public sealed class LocalMachineInfo : IMachineInfo
{
    public async ValueTask<JsonObject> MachineInfoAsync(CancellationToken cancellationToken)
    {
        var gpus = await QueryGpusAsync(cancellationToken);
        var info = new JsonObject
        {
            ["message"] = gpus is null ? "未检测到GPU (no NVIDIA driver found)" : gpus.Count > 0 ? "检测到GPU" : "未检测到GPU",
            ["cpu_num"] = Environment.ProcessorCount,
            ["gpu_num"] = gpus?.Count ?? 0,
            ["sysstr"] = SystemName(),
        };
        if (gpus is { Count: > 0 })
        {
            info["driver_version"] = gpus[0].Driver;
            info["gpu_free_mem"] = new JsonArray(gpus.Select(g => (JsonNode?)g.Free).ToArray());
        }

        return info;
    }

    public async ValueTask<JsonArray> GpuMemoryAsync(CancellationToken cancellationToken)
    {
        var gpus = await QueryGpusAsync(cancellationToken) ?? [];
        return new JsonArray(gpus.Select(g => (JsonNode?)new JsonObject { ["free"] = g.Free, ["used"] = g.Used, ["total"] = g.Total }).ToArray());
    }

    private static string SystemName() =>
        OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsWindows() ? "Windows" : OperatingSystem.IsMacOS() ? "Darwin" : RuntimeInformation.OSDescription;

    /// <summary>The GPUs, or null when there is no NVIDIA driver.</summary>
    private static async Task<IReadOnlyList<Gpu>?> QueryGpusAsync(CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("nvidia-smi", "--query-gpu=memory.free,memory.used,memory.total,driver_version --format=csv,noheader,nounits")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var process = Process.Start(startInfo);
            if (process is null)
            {
                return null;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return process.ExitCode != 0 ? [] : output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Gpu.Parse).OfType<Gpu>().ToList();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private sealed record Gpu(int Free, int Used, int Total, string Driver)
    {
        public static Gpu? Parse(string line)
        {
            var parts = line.Split(',', StringSplitOptions.TrimEntries);
            return parts.Length >= 4
                && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var free)
                && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var used)
                && int.TryParse(parts[2], CultureInfo.InvariantCulture, out var total)
                ? new Gpu(free, used, total, parts[3])
                : null;
        }
    }
}
