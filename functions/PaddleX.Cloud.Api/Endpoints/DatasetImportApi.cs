using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Datasets;
using PaddleX.Cloud.Datasets.Import;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>Dataset import (PUT /dataset, POST /dataset/upload), split and details. The API only
/// validates, records and enqueues; the worker's import job does the check and copy.</summary>
public static partial class DatasetApi
{
    public const string ErrorArchiveTooLarge = DatasetCheckException.ArchiveTooLarge;

    private static void MapImportRoutes(RouteTableBuilder routes)
    {
        routes.Route("/dataset/split", "DatasetSplit", m => m.Put(SplitAsync, "Split an imported dataset into train, validation and test", "did:string", "val_split:number", "test_split:number", "seed?:integer"));
        routes.Route("/dataset/details", "DatasetDetails", m => m.Get(DetailsAsync, "Labels, files and splits of an imported dataset", "did:string"));
        routes.Route("/dataset/upload", "DatasetUpload", m => m.Post(UploadAsync, "Upload a .zip (multipart) and import it (a job)", "did:string", "file:file"), DatasetOptions.MaxUploadBytes);
        MapDirectUploadRoute(routes);
    }

    private static async ValueTask<IResult> ImportAsync(ApiCall call)
    {
        var did = call.Args.RequireString("did");
        var path = call.Args.RequireString("path");
        var dataset = await call.DatasetAsync(did);
        RequireKnownType(dataset);
        var parameters = await ResolveSourceAsync(call, path);
        await StartImportAsync(call, dataset, parameters);
        return JsonReply.Ok();
    }

    /// <summary>The zip is streamed from the request straight into the dataset's folder (into a
    /// hidden staging folder first when <c>did</c> comes after the file), never held in memory.</summary>
    private static async ValueTask<IResult> UploadAsync(ApiCall call)
    {
        var form = call.Multipart;
        var dataset = call.Args.String("did") is { } early ? await UploadTargetAsync(call, early) : null;
        if (form is not { HasFile: true })
        {
            throw ApiArgs.Missing(dataset is null ? "did" : "file");
        }

        var artifacts = call.Services.Artifacts;
        var fileName = form.FileName ?? string.Empty;
        var stored = $"{dataset?.Path.TrimEnd('/') ?? string.Empty}{(dataset is null ? string.Empty : "/")}{DatasetLayout.UploadFolder}/{Guid.NewGuid():N}.zip";
        try
        {
            await form.SaveFileAsync(artifacts, stored, call.Cancellation);
            if (dataset is null)
            {
                await form.ReadRemainingFieldsAsync(call.Args.Values, call.Cancellation);
                dataset = await UploadTargetAsync(call, call.Args.RequireString("did"));
                var staged = stored;
                stored = $"{dataset.Path.TrimEnd('/')}/{DatasetLayout.UploadFolder}/{Guid.NewGuid():N}.zip";
                await using (var content = await artifacts.OpenReadAsync(staged, call.Cancellation))
                {
                    await artifacts.WriteAsync(stored, content, call.Cancellation);
                }

                await artifacts.DeleteAsync(staged, CancellationToken.None);
            }

            await using var zip = await artifacts.OpenReadAsync(stored, call.Cancellation);
            ZipSource.Inspect(zip, fileName, OptionsOf(call).MaxExpandedBytes);
            await StartImportAsync(call, dataset, new ImportParameters { Source = stored, Scope = ImportParameters.Workspace, Display = fileName });
        }
        catch (DatasetCheckException refused)
        {
            await artifacts.DeleteAsync(stored, CancellationToken.None);
            throw new ApiException(refused.Code ?? ErrorCodes.InvalidArgument, refused.Message);
        }
        catch
        {
            await artifacts.DeleteAsync(stored, CancellationToken.None);
            throw;
        }

        return JsonReply.Ok();
    }

    private static async ValueTask<Dataset> UploadTargetAsync(ApiCall call, string did)
    {
        var dataset = await call.DatasetAsync(did);
        RequireKnownType(dataset);
        return JobControl.IsRunning(dataset.State) ? throw JobRunning() : dataset;
    }

    private static async ValueTask<IResult> SplitAsync(ApiCall call)
    {
        var did = call.Args.RequireString("did");
        var valSplit = call.Args.RequireDouble("val_split");
        var testSplit = call.Args.RequireDouble("test_split");
        var seed = call.Args.Int("seed") ?? RandomNumberGenerator.GetInt32(int.MaxValue);
        if (valSplit is < 0 or >= 1 || testSplit is < 0 or >= 1)
        {
            throw ApiException.Invalid("val_split和test_split应在[0, 1)之间 (val_split and test_split must be in [0, 1))");
        }

        var dataset = await call.DatasetAsync(did);
        var status = Views.DatasetStatusOf(dataset);
        if (status is not ((int)DatasetStatus.XCOPYDONE or (int)DatasetStatus.XSPLITED) || JobControl.IsRunning(dataset.State))
        {
            throw new ApiException(ErrorCodes.InvalidState, DatasetMessages.NotImported);
        }

        var artifacts = call.Services.Artifacts;
        var detailsPath = DatasetLayout.Details(dataset.Path);
        if (!await artifacts.ExistsAsync(detailsPath, call.Cancellation))
        {
            throw new ApiException(ErrorCodes.InvalidState, DatasetMessages.NeedsRecheck);
        }

        DatasetDetails details;
        await using (var stream = await artifacts.OpenReadAsync(detailsPath, call.Cancellation))
        {
            details = DatasetDetails.Read(stream);
        }

        try
        {
            DatasetSplitter.Split(details, dataset.Type, valSplit, testSplit, seed);
        }
        catch (DatasetCheckException refused)
        {
            throw ApiException.Invalid(refused.Message);
        }

        var folder = await artifacts.MaterializeAsync(dataset.Path, call.Cancellation);
        SplitWriter.Write(dataset.Type, details, folder);
        SplitWriter.WriteDetails(details, folder);
        var record = new JsonObject { ["val_split"] = valSplit, ["test_split"] = testSplit, ["seed"] = seed };
        await File.WriteAllTextAsync(Path.Combine(folder, DatasetLayout.SplitFile), record.ToJsonString(), call.Cancellation);
        await artifacts.PublishAsync(folder, dataset.Path, call.Cancellation);
        await call.Services.Metadata.Datasets.UpdateAsync(
            did,
            d =>
            {
                if (JobControl.IsRunning(d.State))
                {
                    throw JobRunning();
                }

                d.State ??= new JobState();
                d.State.Status = (int)DatasetStatus.XSPLITED;
                d.State.Message = string.Empty;
                d.State.UpdatedTime = call.Services.Clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
            },
            call.Cancellation);
        return JsonReply.Ok(new JsonObject { ["seed"] = seed });
    }

    private static async ValueTask<IResult> DetailsAsync(ApiCall call)
    {
        var did = call.Args.RequireString("did");
        var dataset = await call.DatasetAsync(did);
        var status = Views.DatasetStatusOf(dataset);
        var artifacts = call.Services.Artifacts;
        var detailsPath = DatasetLayout.Details(dataset.Path);
        JsonNode? details = null;
        if (status is (int)DatasetStatus.XCOPYDONE or (int)DatasetStatus.XSPLITED && await artifacts.ExistsAsync(detailsPath, call.Cancellation))
        {
            await using var stream = await artifacts.OpenReadAsync(detailsPath, call.Cancellation);
            details = await JsonNode.ParseAsync(stream, cancellationToken: call.Cancellation);
        }

        return JsonReply.Ok(new JsonObject { ["details"] = details });
    }

    /// <summary>A folder or .zip under the workspace, or under a configured import root.</summary>
    private static async ValueTask<ImportParameters> ResolveSourceAsync(ApiCall call, string path)
    {
        var artifacts = call.Services.Artifacts;
        if (artifacts.TryResolve(path, out var relative))
        {
            if (relative.Length == 0 || relative.StartsWith(".", StringComparison.Ordinal) || relative.StartsWith(DatasetLayout.StagingRoot, StringComparison.Ordinal))
            {
                throw NotAllowed(path);
            }

            if (await artifacts.ExistsAsync(relative, call.Cancellation))
            {
                return relative.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)
                    ? new ImportParameters { Source = relative, Scope = ImportParameters.Workspace, Display = path }
                    : throw NotAllowed(path);
            }

            return (await artifacts.ListAsync(relative, call.Cancellation)).Count > 0
                ? new ImportParameters { Source = relative, Scope = ImportParameters.Workspace, Display = path }
                : throw new ApiException(ErrorCodes.FileNotFound, DatasetMessages.SourceMissing(path));
        }

        foreach (var root in call.Services.Options.ImportRoots)
        {
            if (!PathConfinement.IsInside(path, root))
            {
                continue;
            }

            var full = Path.GetFullPath(path);
            if (Directory.Exists(full) || (File.Exists(full) && full.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)))
            {
                return new ImportParameters { Source = full, Scope = ImportParameters.ImportRoot, Display = path };
            }

            throw File.Exists(full) ? NotAllowed(path) : new ApiException(ErrorCodes.FileNotFound, DatasetMessages.SourceMissing(path));
        }

        throw NotAllowed(path);
    }

    internal static async ValueTask StartImportAsync(ApiCall call, Dataset dataset, ImportParameters parameters)
    {
        var message = JobMessageFactory.Create(JobKinds.Import, call.Services.Metadata.WorkspaceId, dataset.Id, parameters.ToJson());
        var now = call.Services.Clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        _ = await call.Services.Metadata.Datasets.UpdateAsync(
            dataset.Id,
            d =>
            {
                if (JobControl.IsRunning(d.State))
                {
                    throw JobRunning();
                }

                d.State = new JobState { Status = (int)DatasetStatus.XCHECKING, JobId = message.JobId, UpdatedTime = now };
            },
            call.Cancellation) ?? throw ApiException.NotFound(ErrorCodes.DatasetNotFound, $"数据集ID'{dataset.Id}'不存在.");
        await call.Services.Jobs.EnqueueAsync(message, call.Cancellation);
    }

    private static void RequireKnownType(Dataset dataset)
    {
        if (!ProjectTypes.IsValid(dataset.Type))
        {
            throw ApiException.Invalid($"无法识别的数据类型{dataset.Type}");
        }
    }

    private static DatasetOptions OptionsOf(ApiCall call) =>
        call.Http.RequestServices?.GetService<DatasetOptions>() ?? new DatasetOptions();

    private static ApiException JobRunning() =>
        new(ErrorCodes.JobRunning, "数据集正在导入中，请等待导入完成后再操作 (an import of this dataset is running)");

    private static ApiException NotAllowed(string path) =>
        new(ErrorCodes.PathNotAllowed, $"路径{path}不在工作空间或允许的导入目录内，或不是文件夹/zip压缩包 (only folders or .zip files under the workspace or a configured import root can be imported)");
}
