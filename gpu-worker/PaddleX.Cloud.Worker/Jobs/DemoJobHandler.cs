using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Datasets;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Datasets.Import;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Ports;
using Task = System.Threading.Tasks.Task;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>POST /demo type=download: fetches the demo archive from the configured source — or,
/// without one, generates the built-in synthetic dataset — checks it (size, unsafe entry names,
/// the params file), and publishes the extracted folder under <c>demo_datasets/&lt;type&gt;/</c>.
/// States as the original: XDDOWNLOADING (progress) → XDDOWNLOADDONE → XDDECOMPRESSED, or
/// XDDOWNLOADFAIL with the reason. The target id is the project type name.</summary>
public sealed partial class DemoJobHandler(
    IArtifactStore artifacts,
    DemoOptions options,
    DatasetOptions datasetOptions,
    ILogger<DemoJobHandler> logger) : IJobHandler
{
    public const string StoppedMessage = "下载已停止 (download stopped)";

    public string Kind => JobKinds.Demo;

    private readonly DemoJobTarget target = new(artifacts);

    public ValueTask<JobState?> ReadStateAsync(JobMessage message, CancellationToken cancellationToken) =>
        target.ReadStateAsync(message, cancellationToken);

    public ValueTask<bool> ClaimAsync(JobMessage message, int delivery, CancellationToken cancellationToken) =>
        target.ClaimAsync(message, delivery, cancellationToken);

    public ValueTask OnDeadLetteredAsync(JobMessage message, string reason, CancellationToken cancellationToken) =>
        target.OnDeadLetteredAsync(message, reason, cancellationToken);

    public async ValueTask RunAsync(JobContext context)
    {
        var jobId = context.Message.JobId;
        var cancellation = context.Cancellation;
        var demo = DemoCatalog.Find(context.Message.TargetId);
        if (demo is null)
        {
            return;
        }

        var work = Path.Combine(Path.GetTempPath(), "paddlex-demo", jobId);
        var progress = new Progress();
        using var reporting = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var reporter = ReportAsync(demo, jobId, progress, reporting.Token);
        try
        {
            var fetched = await new DemoSource(options, artifacts).FetchAsync(demo, Path.Combine(work, demo.ArchiveFile), progress.Set, cancellation);
            string folder;
            if (fetched.Path is null)
            {
                if (!string.IsNullOrEmpty(options.Source))
                {
                    LogSourceUnavailable(demo.TypeName, fetched.Unavailable ?? string.Empty);
                }

                progress.Message = "generating";
                folder = Path.Combine(work, demo.Name);
                await Task.Run(() => DemoDatasetGenerator.Generate(demo, folder, p => progress.Set(p, 0), cancellation), cancellation);
                await ImportJobHandler.StopAsync(reporting, reporter);
                await SetAsync(demo, jobId, DownloadStatus.XDDOWNLOADDONE, "generated", 100, cancellation);
            }
            else
            {
                await ImportJobHandler.StopAsync(reporting, reporter);
                await SetAsync(demo, jobId, DownloadStatus.XDDOWNLOADDONE, fetched.Origin, 100, cancellation);
                folder = await Task.Run(() => ZipSource.Extract(fetched.Path, demo.ArchiveFile, Path.Combine(work, "extract"), datasetOptions.MaxExpandedBytes, cancellation), cancellation);
                if (!File.Exists(Path.Combine(folder, Path.GetFileName(demo.ParamsFile))))
                {
                    throw new DatasetCheckException($"示例数据集压缩包{demo.ArchiveFile}中缺少{Path.GetFileName(demo.ParamsFile)} (the demo archive has no {Path.GetFileName(demo.ParamsFile)})");
                }
            }

            await artifacts.DeleteAsync(demo.DatasetFolder, cancellation);
            await artifacts.PublishAsync(folder, demo.DatasetFolder, cancellation);
            await SetAsync(demo, jobId, DownloadStatus.XDDECOMPRESSED, string.Empty, 100, CancellationToken.None);
            LogReady(demo.TypeName, fetched.Path is null ? "generated" : fetched.Origin);
        }
        catch (DatasetCheckException refused)
        {
            await ImportJobHandler.StopAsync(reporting, reporter);
            await SetAsync(demo, jobId, DownloadStatus.XDDOWNLOADFAIL, refused.Message, 0, CancellationToken.None);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await ImportJobHandler.StopAsync(reporting, reporter);
            // Superseded by a newer download: that one owns the folder now, leave it alone.
            if (!context.IsShuttingDown() && (await DemoState.ReadAsync(artifacts, demo, CancellationToken.None))?.JobId == jobId)
            {
                await artifacts.DeleteAsync(demo.DatasetFolder, CancellationToken.None);
                await SetAsync(demo, jobId, DownloadStatus.XDDOWNLOADFAIL, StoppedMessage, 0, CancellationToken.None);
            }

            throw;
        }
        finally
        {
            await ImportJobHandler.StopAsync(reporting, reporter);
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private async Task ReportAsync(DemoEntry demo, string jobId, Progress progress, CancellationToken cancellation)
    {
        try
        {
            var last = -1.0;
            while (!cancellation.IsCancellationRequested)
            {
                await Task.Delay(datasetOptions.ProgressInterval, cancellation);
                if (progress.Percent != last)
                {
                    last = progress.Percent;
                    await SetAsync(demo, jobId, DownloadStatus.XDDOWNLOADING, progress.Message, last, cancellation);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Writes the state while this job owns it (a newer download or none at all wins).</summary>
    private Task SetAsync(DemoEntry demo, string jobId, DownloadStatus status, string message, double percent, CancellationToken cancellation) =>
        target.SetAsync(demo, jobId, status, message, percent, cancellation);

    private sealed class Progress
    {
        private double percent;

        public double Percent => Volatile.Read(ref percent);

        /// <summary>XDDOWNLOADING's message: the declared length of a download, as the original.</summary>
        public string Message { get; set; } = string.Empty;

        public void Set(double value, long length)
        {
            Volatile.Write(ref percent, Math.Round(value, 1));
            if (length > 0)
            {
                Message = length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo {Type} ready ({Origin})")]
    private partial void LogReady(string type, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo source unavailable for {Type}, generating the built-in dataset: {Reason}")]
    private partial void LogSourceUnavailable(string type, string reason);
}
