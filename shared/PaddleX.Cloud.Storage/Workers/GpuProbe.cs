using System.Diagnostics;
using System.Globalization;

namespace PaddleX.Cloud.Storage.Workers;

/// <summary>The NVIDIA GPUs of this machine via <c>nvidia-smi</c>.</summary>
public static class GpuProbe
{
    /// <summary>The platform name as the original reported it (Python's platform.system()).</summary>
    public static string SystemName() =>
        OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsWindows() ? "Windows" : OperatingSystem.IsMacOS() ? "Darwin" : System.Runtime.InteropServices.RuntimeInformation.OSDescription;

    /// <summary>The GPUs and the driver version; null when there is no NVIDIA driver (no
    /// <c>nvidia-smi</c>), an empty list when it fails or lists none.</summary>
    public static async Task<(IReadOnlyList<GpuReport> Gpus, string Driver)?> QueryAsync(CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("nvidia-smi", "--query-gpu=index,name,memory.free,memory.used,memory.total,driver_version --format=csv,noheader,nounits")
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
            return process.ExitCode != 0 ? ([], string.Empty) : Parse(output);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Parses <c>index, name, free, used, total, driver</c> CSV lines; malformed lines are skipped.</summary>
    public static (IReadOnlyList<GpuReport> Gpus, string Driver) Parse(string csv)
    {
        var gpus = new List<GpuReport>();
        var driver = string.Empty;
        foreach (var line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length >= 6
                && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var index)
                && int.TryParse(parts[2], CultureInfo.InvariantCulture, out var free)
                && int.TryParse(parts[3], CultureInfo.InvariantCulture, out var used)
                && int.TryParse(parts[4], CultureInfo.InvariantCulture, out var total))
            {
                gpus.Add(new GpuReport { Index = index, Name = parts[1], Free = free, Used = used, Total = total });
                driver = parts[5];
            }
        }

        return (gpus, driver);
    }
}
