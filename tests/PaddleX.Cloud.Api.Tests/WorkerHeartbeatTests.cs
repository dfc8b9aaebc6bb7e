using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Storage.Workers;
using PaddleX.Cloud.Worker.Hosting;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>Worker heartbeats (<c>workers/*.json</c> in the artifact store) and the cloud's
/// <see cref="WorkerMachineInfo"/> that aggregates the live ones.</summary>
public sealed class WorkerHeartbeatTests : IDisposable
{
    private readonly string workspace = TempFolders.Create("heartbeat");
    private readonly LocalArtifactStore artifacts;
    private readonly DateTimeOffset now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public WorkerHeartbeatTests()
    {
        Directory.CreateDirectory(workspace);
        artifacts = new LocalArtifactStore(workspace);
    }

    public void Dispose()
    {
        if (Directory.Exists(workspace))
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    [Fact]
    public async Task Live_workers_are_summed_stale_and_garbage_reports_are_ignored()
    {
        await WriteAsync(Heartbeat("gpu-box-1", cpus: 16, age: TimeSpan.FromSeconds(5), ("A100", 30000, 10000, 40000), ("A100", 40000, 0, 40000)));
        await WriteAsync(Heartbeat("cpu-box-7", cpus: 4, age: TimeSpan.FromSeconds(59)));
        await WriteAsync(Heartbeat("dead-box-2", cpus: 64, age: TimeSpan.FromSeconds(61), ("V100", 1, 2, 3)));
        await artifacts.WriteAsync("workers/garbage.json", new MemoryStream(Encoding.UTF8.GetBytes("{not json")));
        await artifacts.WriteAsync("workers/empty.json", new MemoryStream(Encoding.UTF8.GetBytes("{}")));
        var machine = new WorkerMachineInfo(artifacts, new FixedClock(now));

        var info = await machine.MachineInfoAsync(CancellationToken.None);
        Assert.Equal(20, info["cpu_num"]!.GetValue<int>()); // sum over live workers
        Assert.Equal(2, info["gpu_num"]!.GetValue<int>());
        Assert.Equal([30000, 40000], info["gpu_free_mem"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal("550.54", info["driver_version"]!.GetValue<string>());
        Assert.Equal("Linux", info["sysstr"]!.GetValue<string>());
        Assert.Contains("2 worker(s) online", info["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var workers = info["workers"]!.AsArray();
        Assert.Equal(["cpu-box-7-7", "gpu-box-1-7"], workers.Select(w => w!["worker_id"]!.GetValue<string>()));
        Assert.Equal(["T0001"], workers[1]!["running_jobs"]!.AsArray().Select(j => j!.GetValue<string>()));

        var memory = await machine.GpuMemoryAsync(CancellationToken.None);
        Assert.Equal(2, memory.Count);
        Assert.Equal(10000, memory[0]!["used"]!.GetValue<int>());
        Assert.Equal(40000, memory[1]!["total"]!.GetValue<int>());
        Assert.Equal("gpu-box-1-7", memory[1]!["worker"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_a_live_worker_the_cloud_reports_no_gpu_and_says_why()
    {
        await WriteAsync(Heartbeat("dead-box-2", cpus: 64, age: TimeSpan.FromMinutes(5), ("V100", 1, 2, 3)));
        var machine = new WorkerMachineInfo(artifacts, new FixedClock(now));

        var info = await machine.MachineInfoAsync(CancellationToken.None);
        Assert.Equal(WorkerMachineInfo.NoWorkerMessage, info["message"]!.GetValue<string>());
        Assert.Equal(0, info["gpu_num"]!.GetValue<int>());
        Assert.Equal(0, info["cpu_num"]!.GetValue<int>());
        Assert.Null(info["gpu_free_mem"]);
        Assert.Empty(info["workers"]!.AsArray());
        Assert.Empty(await machine.GpuMemoryAsync(CancellationToken.None));
    }

    [Fact]
    public void Nvidia_smi_csv_is_parsed_and_malformed_lines_skipped()
    {
        var (gpus, driver) = GpuProbe.Parse("0, NVIDIA H100 80GB HBM3, 80000, 1234, 81559, 550.54.15\nbroken line\n1, NVIDIA H100 80GB HBM3, 70000, 11559, 81559, 550.54.15\n");
        Assert.Equal("550.54.15", driver);
        Assert.Equal([0, 1], gpus.Select(g => g.Index));
        Assert.Equal([80000, 70000], gpus.Select(g => g.Free));
        Assert.Equal("NVIDIA H100 80GB HBM3", gpus[0].Name);
        Assert.Equal(81559, gpus[1].Total);
    }

    [Fact]
    public async Task The_worker_writes_its_heartbeat_with_its_running_jobs_and_removes_it_on_stop()
    {
        using var queue = new LocalJobQueue(workspace);
        await using var services = new ServiceCollection().BuildServiceProvider();
        var options = new WorkerOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(100) };
        var runner = new JobRunner(queue, Array.Empty<IJobHandler>(), services, options, NullLogger<JobRunner>.Instance);
        using var heartbeat = new WorkerHeartbeatService(artifacts, runner, options, TimeProvider.System, NullLogger<WorkerHeartbeatService>.Instance);
        var path = WorkerHeartbeat.PathOf(heartbeat.WorkerId);

        await heartbeat.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await artifacts.ExistsAsync(path) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        WorkerHeartbeat report;
        await using (var stream = await artifacts.OpenReadAsync(path))
        {
            report = WorkerHeartbeat.Parse(stream)!;
        }

        Assert.Equal(Environment.ProcessId, report.ProcessId);
        Assert.Equal(Environment.MachineName, report.Host);
        Assert.Equal(Environment.ProcessorCount, report.CpuCount);
        Assert.True(report.MemoryTotalMb > 0);
        Assert.Empty(report.RunningJobs);
        Assert.True(DateTimeOffset.UtcNow - report.Time < TimeSpan.FromSeconds(30));

        // The aggregate sees this process as the one live worker.
        var info = await new WorkerMachineInfo(artifacts, TimeProvider.System).MachineInfoAsync(CancellationToken.None);
        Assert.Equal(Environment.ProcessorCount, info["cpu_num"]!.GetValue<int>());
        Assert.Equal(report.Gpus.Count, info["gpu_num"]!.GetValue<int>());

        await heartbeat.StopAsync(CancellationToken.None);
        Assert.False(await artifacts.ExistsAsync(path));
        info = await new WorkerMachineInfo(artifacts, TimeProvider.System).MachineInfoAsync(CancellationToken.None);
        Assert.Equal(WorkerMachineInfo.NoWorkerMessage, info["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("azure", typeof(WorkerMachineInfo))]
    [InlineData("local", typeof(LocalMachineInfo))]
    [InlineData(null, typeof(LocalMachineInfo))]
    public async Task The_backend_picks_the_machine_info(string? backend, Type expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Backend", backend)]).Build();
        var services = new ServiceCollection().AddSingleton<PaddleX.Cloud.Storage.Ports.IArtifactStore>(artifacts).AddPaddleXApi(configuration);
        await using var provider = services.BuildServiceProvider();
        Assert.IsType(expected, provider.GetRequiredService<IMachineInfo>());
    }

    private WorkerHeartbeat Heartbeat(string host, int cpus, TimeSpan age, params (string Name, int Free, int Used, int Total)[] gpus) => new()
    {
        WorkerId = WorkerHeartbeat.IdOf(host, 7),
        Host = host,
        ProcessId = 7,
        System = "Linux",
        CpuCount = cpus,
        MemoryTotalMb = 1024,
        DriverVersion = gpus.Length > 0 ? "550.54" : string.Empty,
        Gpus = gpus.Select((g, i) => new GpuReport { Index = i, Name = g.Name, Free = g.Free, Used = g.Used, Total = g.Total }).ToList(),
        RunningJobs = gpus.Length > 0 ? ["T0001"] : [],
        Started = now - age - TimeSpan.FromHours(1),
        Time = now - age,
    };

    private async Task WriteAsync(WorkerHeartbeat heartbeat)
    {
        using var content = new MemoryStream(heartbeat.ToJson());
        await artifacts.WriteAsync(WorkerHeartbeat.PathOf(heartbeat.WorkerId), content);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
