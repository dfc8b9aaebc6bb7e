using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Datasets;
using PaddleX.Cloud.Datasets.Import;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Storage.Ports;
using Task = System.Threading.Tasks.Task;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>Imports a dataset (PUT /dataset, POST /dataset/upload): check, copy into a staging
/// folder with progress, swap the staging folder in, record XCOPYDONE/XSPLITED; or record
/// XCHECKFAIL/XCOPYFAIL with the message and leave the dataset empty. Cancellation (stop flag,
/// dataset deleted) removes the staging folder; nothing half-copied is ever visible.</summary>
public sealed partial class ImportJobHandler(
    IMetadataStore metadata,
    IArtifactStore artifacts,
    DatasetOptions options,
    TimeProvider clock,
    ILogger<ImportJobHandler> logger) : IJobHandler
{
    public const string CancelledMessage = "导入已取消 (import cancelled)";

    public string Kind => JobKinds.Import;

    private readonly ImportJobTarget target = new(metadata, clock);

    public ValueTask<JobState?> ReadStateAsync(JobMessage message, CancellationToken cancellationToken) =>
        target.ReadStateAsync(message, cancellationToken);

    public ValueTask<bool> ClaimAsync(JobMessage message, int delivery, CancellationToken cancellationToken) =>
        target.ClaimAsync(message, delivery, cancellationToken);

    public ValueTask OnDeadLetteredAsync(JobMessage message, string reason, CancellationToken cancellationToken) =>
        target.OnDeadLetteredAsync(message, reason, cancellationToken);

    public async ValueTask RunAsync(JobContext context)
    {
        var message = context.Message;
        var did = message.TargetId;
        var jobId = message.JobId;
        var cancellation = context.Cancellation;
        var dataset = await metadata.Datasets.GetAsync(did, cancellation);
        if (dataset is null)
        {
            return;
        }

        var parameters = ImportParameters.FromJson(message.ParametersJson);
        var local = artifacts as LocalArtifactStore;
        var staging = local?.FullPath(DatasetLayout.Staging(did, jobId)) ?? Path.Combine(Path.GetTempPath(), "paddlex-import", $"{did}-{jobId}");
        DeleteFolder(staging);
        var output = Path.Combine(staging, "data");
        var progress = new ImportProgress();
        using var reporting = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var reporter = ReportAsync(did, jobId, progress, reporting.Token);
        try
        {
            var (source, move) = await ResolveSourceAsync(parameters, staging, local, cancellation);
            var request = new DatasetImporter.Request(dataset.Type, source, parameters.Display, output, move) { ThrottlePerFile = options.ThrottlePerFile };
            var result = await DatasetImporter.RunAsync(request, progress, cancellation);
            await StopAsync(reporting, reporter);
            if (!await OwnsAsync(did, jobId, cancellation))
            {
                // Stopped after the last file but before the token fired: recorded as cancelled
                // (FailAsync does nothing when the dataset was deleted or another import owns it).
                DeleteFolder(staging);
                await FailAsync(dataset, parameters, jobId, DatasetStatus.XEMPTY, CancelledMessage);
                return;
            }

            await SwapInAsync(local, output, staging, dataset.Path, cancellation);
            DeleteFolder(staging); // before the final state: whoever sees it done finds nothing staged
            var status = result.PreSplit ? DatasetStatus.XSPLITED : DatasetStatus.XCOPYDONE;
            if (!await SetStateAsync(did, jobId, status, string.Empty, finish: true, CancellationToken.None)
                && await metadata.Datasets.GetAsync(did, CancellationToken.None) is null)
            {
                await artifacts.DeleteAsync(dataset.Path, CancellationToken.None); // deleted while swapping in
            }

            LogImported(did, result.Details.FileInfo.Count, status.ToString());
        }
        catch (DatasetCheckException failure)
        {
            await StopAsync(reporting, reporter);
            DeleteFolder(staging);
            await FailAsync(dataset, parameters, jobId, DatasetStatus.XCHECKFAIL, failure.Message);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await StopAsync(reporting, reporter);
            DeleteFolder(staging);
            if (!context.IsShuttingDown())
            {
                await FailAsync(dataset, parameters, jobId, DatasetStatus.XEMPTY, CancelledMessage);
            }

            throw;
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            await StopAsync(reporting, reporter);
            DeleteFolder(staging);
            LogCopyFailed(failure, did);
            await FailAsync(dataset, parameters, jobId, DatasetStatus.XCOPYFAIL, failure.Message);
        }
        finally
        {
            await StopAsync(reporting, reporter);
            DeleteFolder(staging);
        }
    }

    private async Task<(string Folder, bool Move)> ResolveSourceAsync(ImportParameters parameters, string staging, LocalArtifactStore? local, CancellationToken cancellation)
    {
        string path;
        if (parameters.Scope == ImportParameters.ImportRoot)
        {
            path = parameters.Source;
        }
        else if (local is not null)
        {
            path = local.FullPath(parameters.Source);
        }
        else if (parameters.Source.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            Directory.CreateDirectory(staging);
            path = Path.Combine(staging, "source.zip");
            await using var input = await artifacts.OpenReadAsync(parameters.Source, cancellation);
            await using var file = File.Create(path);
            await input.CopyToAsync(file, cancellation);
        }
        else
        {
            path = await artifacts.MaterializeAsync(parameters.Source, cancellation);
        }

        if (File.Exists(path) && path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            var folder = await Task.Run(() => ZipSource.Extract(path, parameters.Display, Path.Combine(staging, "extract"), options.MaxExpandedBytes, cancellation), cancellation);
            return (folder, true);
        }

        return Directory.Exists(path) ? (path, false) : throw new DatasetCheckException(DatasetMessages.SourceMissing(parameters.Display));
    }

    private async Task SwapInAsync(LocalArtifactStore? local, string output, string staging, string prefix, CancellationToken cancellation)
    {
        if (local is null)
        {
            await artifacts.DeleteAsync(prefix, cancellation);
            await artifacts.PublishAsync(output, prefix, cancellation);
            return;
        }

        var target = local.FullPath(prefix);
        if (Directory.Exists(target))
        {
            Directory.Move(target, Path.Combine(staging, "replaced"));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        Directory.Move(output, target);
    }

    /// <summary>Empties the dataset (unless its folder is the source itself), then records the
    /// failure: whoever sees the failed state finds nothing half-copied. Nothing happens when the
    /// job no longer owns the dataset (deleted, or superseded).</summary>
    private async Task FailAsync(Dataset dataset, ImportParameters parameters, string jobId, DatasetStatus status, string text)
    {
        var current = await metadata.Datasets.GetAsync(dataset.Id, CancellationToken.None);
        if (current?.State is null || current.State.JobId != jobId)
        {
            return;
        }

        var prefix = dataset.Path.TrimEnd('/');
        var sourceInside = parameters.Scope == ImportParameters.Workspace
            && (parameters.Source == prefix || parameters.Source.StartsWith(prefix + "/", StringComparison.Ordinal))
            && !parameters.Source.StartsWith(prefix + "/" + DatasetLayout.UploadFolder + "/", StringComparison.Ordinal);
        await artifacts.DeleteAsync(sourceInside ? DatasetLayout.Details(prefix) : prefix, CancellationToken.None);
        await SetStateAsync(dataset.Id, jobId, status, text, finish: true, CancellationToken.None);
    }

    private async Task ReportAsync(string did, string jobId, ImportProgress progress, CancellationToken cancellation)
    {
        try
        {
            var last = -1.0;
            while (!cancellation.IsCancellationRequested)
            {
                await Task.Delay(options.ProgressInterval, clock, cancellation);
                if (progress.Copying && progress.Percent != last)
                {
                    last = progress.Percent;
                    var text = new JsonObject { ["pid"] = Environment.ProcessId, ["percent"] = last, ["copied"] = progress.Copied, ["total"] = progress.Total }.ToJsonString();
                    await SetStateAsync(did, jobId, DatasetStatus.XCOPYING, text, finish: false, cancellation);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops a progress reporter loop and waits for its last write.</summary>
    internal static async Task StopAsync(CancellationTokenSource reporting, Task reporter)
    {
        if (!reporting.IsCancellationRequested)
        {
            await reporting.CancelAsync();
        }

        await reporter;
    }

    private async Task<bool> OwnsAsync(string did, string jobId, CancellationToken cancellation)
    {
        var state = (await metadata.Datasets.GetAsync(did, cancellation))?.State;
        return state is not null && state.JobId == jobId && !state.CancelRequested;
    }

    private Task<bool> SetStateAsync(string did, string jobId, DatasetStatus status, string text, bool finish, CancellationToken cancellation) =>
        target.SetStateAsync(did, jobId, status, text, finish, cancellation);

    private static void DeleteFolder(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Imported dataset {Did}: {Images} images, {Status}")]
    private partial void LogImported(string did, int images, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Copying dataset {Did} failed")]
    private partial void LogCopyFailed(Exception failure, string did);
}
