using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Storage.Workers;

namespace PaddleX.Cloud.Worker.Hosting;

/// <summary>Writes this worker's <see cref="WorkerHeartbeat"/> (host, pid, CPUs, memory, GPUs, the
/// jobs <see cref="JobRunner"/> is running) to <c>workers/{host}-{pid}.json</c> in the artifact
/// store at start and every <see cref="WorkerOptions.HeartbeatInterval"/>; removes it on a graceful
/// stop. A killed worker's report simply ages out.</summary>
public sealed partial class WorkerHeartbeatService(
    IArtifactStore artifacts,
    JobRunner runner,
    WorkerOptions options,
    TimeProvider clock,
    ILogger<WorkerHeartbeatService> logger) : BackgroundService
{
    private readonly DateTimeOffset started = clock.GetUtcNow();

    public string WorkerId { get; } = WorkerHeartbeat.IdOf(Environment.MachineName, Environment.ProcessId);

    /// <summary>This worker's report now (GPUs probed with nvidia-smi).</summary>
    public async Task<WorkerHeartbeat> SnapshotAsync(CancellationToken cancellationToken)
    {
        var gpus = await GpuProbe.QueryAsync(cancellationToken);
        return new WorkerHeartbeat
        {
            WorkerId = WorkerId,
            Host = Environment.MachineName,
            ProcessId = Environment.ProcessId,
            System = GpuProbe.SystemName(),
            CpuCount = Environment.ProcessorCount,
            MemoryTotalMb = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024),
            MemoryAvailableMb = AvailableMemoryMb(),
            DriverVersion = gpus?.Driver ?? string.Empty,
            Gpus = gpus?.Gpus.ToList() ?? [],
            RunningJobs = runner.Running.Order(StringComparer.Ordinal).ToList(),
            Started = started,
            Time = clock.GetUtcNow(),
        };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval, clock);
        do
        {
            try
            {
                var heartbeat = await SnapshotAsync(stoppingToken);
                using var content = new MemoryStream(heartbeat.ToJson());
                await artifacts.WriteAsync(WorkerHeartbeat.PathOf(WorkerId), content, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // a storage outage must not stop the worker: report again at the next tick
            catch (Exception fault)
#pragma warning restore CA1031
            {
                LogHeartbeatFailed(fault);
            }
        }
        while (await timer.NextTickOrStopAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await artifacts.DeleteAsync(WorkerHeartbeat.PathOf(WorkerId), cancellationToken);
        }
#pragma warning disable CA1031 // best effort: the report ages out anyway
        catch (Exception fault)
#pragma warning restore CA1031
        {
            LogHeartbeatFailed(fault);
        }
    }

    private static long AvailableMemoryMb()
    {
        try
        {
            if (File.Exists("/proc/meminfo"))
            {
                foreach (var line in File.ReadLines("/proc/meminfo"))
                {
                    if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    {
                        var kb = long.Parse(line["MemAvailable:".Length..].Replace("kB", string.Empty, StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                        return kb / 1024;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
        }

        return 0;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the worker heartbeat failed")]
    private partial void LogHeartbeatFailed(Exception fault);
}
