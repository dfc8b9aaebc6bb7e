using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Params;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Datasets.Import;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/demo (docs/console.md, Demos): download a demo dataset (a job: fetched from the configured
/// source or generated), follow its progress, stop it, and load it as a dataset + project + task.</summary>
public static class DemoApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/demo", "Demo", m => m
            .Get(GetAsync, "Download progress of a demo", "prj_type:string")
            .Post(PostAsync, "Download (type=download) or load (type=load) a demo", "type:string", "prj_type:string")
            .Put(StopAsync, "Stop a demo download, or remove a demo load whose import has not finished", "prj_type:string"));

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        var demo = Demo(call);
        var state = await DemoState.ReadAsync(call.Services.Artifacts, demo, call.Cancellation);
        JsonNode? progress = state is null ? string.Empty
            : state.Status == (int)DownloadStatus.XDDOWNLOADING ? state.Progress
            : state.Message;
        return JsonReply.Ok(new JsonObject { ["attr"] = new JsonObject { ["status"] = state?.Status, ["progress"] = progress } });
    }

    private static async ValueTask<IResult> PostAsync(ApiCall call)
    {
        var type = call.Args.RequireString("type");
        var demo = Demo(call);
        return type switch
        {
            "download" => await DownloadAsync(call, demo),
            "load" => await LoadAsync(call, demo),
            _ => throw ApiException.Invalid($"type只能为download或load (type must be download or load, not '{type}')"),
        };
    }

    private static async ValueTask<IResult> DownloadAsync(ApiCall call, DemoEntry demo)
    {
        var artifacts = call.Services.Artifacts;
        var state = await DemoState.ReadAsync(artifacts, demo, call.Cancellation);
        if (state is not null && (state.Status == (int)DownloadStatus.XDDECOMPRESSED || (state.Status != (int)DownloadStatus.XDDOWNLOADFAIL && state.JobId.Length > 0 && await DemoState.StopRequestAsync(artifacts, demo, call.Cancellation) != state.JobId)))
        {
            return JsonReply.Ok(); // already there, or on its way: as the original, a second download does nothing
        }

        var message = JobMessageFactory.Create(JobKinds.Demo, call.Services.Metadata.WorkspaceId, demo.TypeName);
        await artifacts.DeleteAsync(demo.StopFile, call.Cancellation);
        await new DemoState { Status = (int)DownloadStatus.XDDOWNLOADING, JobId = message.JobId }
            .WriteAsync(artifacts, demo, call.Cancellation);
        await call.Services.Jobs.EnqueueAsync(message, call.Cancellation);
        return JsonReply.Ok();
    }

    private static async ValueTask<IResult> LoadAsync(ApiCall call, DemoEntry demo)
    {
        var artifacts = call.Services.Artifacts;
        var state = await DemoState.ReadAsync(artifacts, demo, call.Cancellation)
            ?? throw new ApiException(ErrorCodes.InvalidState, $"样例{demo.TypeName}数据集暂未下载，无法导入样例工程");
        if (state.Status != (int)DownloadStatus.XDDECOMPRESSED || !await artifacts.ExistsAsync(demo.ParamsFile, call.Cancellation))
        {
            throw new ApiException(ErrorCodes.InvalidState, $"样例{demo.TypeName}数据集暂未解压，无法导入样例工程");
        }

        var info = await ReadParamsAsync(call, demo);
        var datasetInfo = info["dataset_info"] as JsonObject ?? throw BadParams(demo);
        var projectInfo = info["project_info"] as JsonObject ?? throw BadParams(demo);
        var datasetName = Text(datasetInfo, "name", demo);
        var projectName = Text(projectInfo, "name", demo);
        var metadata = call.Services.Metadata;
        if ((await metadata.Datasets.ListAsync(call.Cancellation)).Any(d => d.Name == datasetName))
        {
            return JsonReply.Ok(new JsonObject { ["loading_status"] = "dataset already exists" });
        }

        if ((await metadata.Projects.ListAsync(call.Cancellation)).Any(p => p.Name == projectName))
        {
            return JsonReply.Ok(new JsonObject { ["loading_status"] = "project already exists" });
        }

        // Parameters are checked before anything is created: a bad params file leaves nothing behind.
        var parameters = TrainingParams.Defaults(demo.TypeName);
        TrainingParams.Merge(parameters, info["train_params"] as JsonObject ?? [], demo.TypeName);
        var now = call.Now();
        var dataset = await metadata.Datasets.CreateAsync(id => DatasetApi.NewDataset(id, datasetName, Text(datasetInfo, "desc", demo, string.Empty), demo.TypeName, now), call.Cancellation);
        await DatasetApi.StartImportAsync(call, dataset, new ImportParameters { Source = demo.DatasetFolder, Scope = ImportParameters.Workspace, Display = artifacts.ToDisplayPath(demo.DatasetFolder) });
        var project = await metadata.Projects.CreateAsync(id => ProjectApi.NewProject(id, projectName, Text(projectInfo, "desc", demo, string.Empty), demo.TypeName, dataset.Id, now), call.Cancellation);
        var task = await TaskApi.CreateTaskAsync(call, project, string.Empty, string.Empty, parameters);
        var loaded = new JsonObject { ["did"] = dataset.Id, ["pid"] = project.Id, ["tid"] = task.Id };
        using (var content = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(loaded)))
        {
            await artifacts.WriteAsync(demo.LoadedFile, content, call.Cancellation);
        }

        return JsonReply.Ok(loaded);
    }

    /// <summary>Stops the download; a loaded demo whose import has not finished is removed again
    /// (project, task, dataset — deleting the dataset is what stops its import).</summary>
    private static async ValueTask<IResult> StopAsync(ApiCall call)
    {
        var demo = Demo(call);
        var artifacts = call.Services.Artifacts;
        var state = await DemoState.ReadAsync(artifacts, demo, call.Cancellation);
        var loaded = await ReadLoadedAsync(call, demo);
        if (state is null && loaded is null)
        {
            throw new ApiException(ErrorCodes.InvalidState, $"样例{demo.TypeName}未开始下载或导入 (no download or load of the {demo.TypeName} demo was started)");
        }

        if (state is not null && state.JobId.Length > 0 && state.Status is (int)DownloadStatus.XDDOWNLOADING or (int)DownloadStatus.XDDOWNLOADDONE)
        {
            await DemoState.RequestStopAsync(artifacts, demo, state.JobId, call.Cancellation);
        }

        if (loaded is not null)
        {
            await RemoveUnfinishedLoadAsync(call, demo, loaded);
        }

        return JsonReply.Ok();
    }

    private static async ValueTask RemoveUnfinishedLoadAsync(ApiCall call, DemoEntry demo, JsonObject loaded)
    {
        var metadata = call.Services.Metadata;
        var dataset = await metadata.Datasets.GetAsync(loaded["did"]?.GetValue<string>() ?? string.Empty, call.Cancellation);
        if (dataset is not null && Views.DatasetStatusOf(dataset) is (int)DatasetStatus.XCOPYDONE or (int)DatasetStatus.XSPLITED)
        {
            return;
        }

        if (await metadata.Projects.GetAsync(loaded["pid"]?.GetValue<string>() ?? string.Empty, call.Cancellation) is { } project)
        {
            foreach (var task in await metadata.TasksOfProjectAsync(project.Id, call.Cancellation))
            {
                await TaskApi.DeleteTaskAsync(call, task);
            }

            await metadata.Projects.DeleteAsync(project.Id, call.Cancellation);
            await call.Services.Artifacts.DeleteAsync(project.Path, call.Cancellation);
        }

        if (dataset is not null)
        {
            await metadata.Datasets.DeleteAsync(dataset.Id, call.Cancellation);
            await call.Services.Artifacts.DeleteAsync(dataset.Path, call.Cancellation);
        }

        await call.Services.Artifacts.DeleteAsync(demo.LoadedFile, call.Cancellation);
    }

    private static DemoEntry Demo(ApiCall call)
    {
        var prjType = call.Args.Values["prj_type"] is JsonValue value && value.TryGetValue<double>(out var number)
            ? number.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : call.Args.RequireString("prj_type");
        return DemoCatalog.Find(prjType)
            ?? throw ApiException.Invalid($"无法识别的项目类型{prjType} (prj_type must be 0-4 or one of {string.Join(", ", DemoCatalog.All.Select(d => d.TypeName))})");
    }

    private static async ValueTask<JsonObject> ReadParamsAsync(ApiCall call, DemoEntry demo)
    {
        try
        {
            await using var stream = await call.Services.Artifacts.OpenReadAsync(demo.ParamsFile, call.Cancellation);
            return await JsonNode.ParseAsync(stream, cancellationToken: call.Cancellation) as JsonObject ?? throw BadParams(demo);
        }
        catch (JsonException)
        {
            throw BadParams(demo);
        }
    }

    private static async ValueTask<JsonObject?> ReadLoadedAsync(ApiCall call, DemoEntry demo)
    {
        if (!await call.Services.Artifacts.ExistsAsync(demo.LoadedFile, call.Cancellation))
        {
            return null;
        }

        await using var stream = await call.Services.Artifacts.OpenReadAsync(demo.LoadedFile, call.Cancellation);
        return await JsonNode.ParseAsync(stream, cancellationToken: call.Cancellation) as JsonObject;
    }

    private static string Text(JsonObject section, string key, DemoEntry demo, string? fallback = null) =>
        section[key] is JsonValue v && v.TryGetValue<string>(out var text) && text.Length is > 0 and <= DatasetApi.MaxNameLength * 16
            ? text
            : fallback ?? throw BadParams(demo);

    private static ApiException BadParams(DemoEntry demo) =>
        new(ErrorCodes.InvalidState, $"样例数据集的{Path.GetFileName(demo.ParamsFile)}不完整 (the demo's params file lacks dataset_info, project_info or a name)");
}
