using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Params;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project/task: create, list, describe and delete training tasks.</summary>
public static class TaskApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/project/task", "ProjectTask", m => m
            .Get(GetAsync, "List tasks (of a project), or the status of one", "tid?:string", "pid?:string", "resume?:boolean")
            .Post(CreateAsync, "Create a task with training parameters", "pid:string", "train?:object", "desc?:string", "parent_id?:string")
            .Delete(DeleteAsync, "Stop a task's jobs and delete it", "tid:string"));

    private static async ValueTask<IResult> CreateAsync(ApiCall call)
    {
        var pid = call.Args.RequireString("pid");
        var desc = call.Args.String("desc") ?? string.Empty;
        var parentId = call.Args.String("parent_id") ?? string.Empty;
        var project = await call.ProjectAsync(pid, $"【任务创建】项目ID'{pid}'不存在.");
        if (project.Did.Length == 0 || await call.Services.Metadata.Datasets.GetAsync(project.Did, call.Cancellation) is null)
        {
            throw ApiException.NotFound(ErrorCodes.DatasetNotFound, $"【任务创建】数据集ID'{project.Did}'不存在");
        }

        JsonObject parameters;
        if (parentId.Length > 0)
        {
            // A prune-retrain task: the parent's parameters, not the request's.
            var parent = await call.TaskAsync(parentId, "【任务创建】裁剪任务创建失败");
            parameters = TrainingParams.Parse(parent.ParamsJson) ?? TrainingParams.Defaults(project.Type);
        }
        else
        {
            parameters = TrainingParams.Defaults(project.Type);
            TrainingParams.Merge(parameters, call.Args.Object("train") ?? [], project.Type);
        }

        var task = await CreateTaskAsync(call, project, desc, parentId, parameters);
        return JsonReply.Ok(new JsonObject { ["tid"] = task.Id });
    }

    internal static async ValueTask<Contracts.TaskInfo> CreateTaskAsync(ApiCall call, Project project, string desc, string parentId, JsonObject parameters)
    {
        PretrainWeightsRule.Check(call, parameters);
        var now = call.Now();
        var json = parameters.ToJsonString();
        return await call.Services.Metadata.Tasks.CreateAsync(
            id => new Contracts.TaskInfo
            {
                Id = id,
                Name = string.Empty,
                Desc = desc,
                Pid = project.Id,
                ParentId = parentId,
                Path = $"{project.Path}/{id}",
                CreateTime = now,
                State = new JobState { Status = (int)Contracts.TaskStatus.XINIT, Message = "\n" },
                ParamsJson = json,
            },
            call.Cancellation);
    }

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        var metadata = call.Services.Metadata;
        var projects = (await metadata.Projects.ListAsync(call.Cancellation)).ToDictionary(p => p.Id, StringComparer.Ordinal);
        if (!call.Args.IsEmpty && !call.Args.Has("pid"))
        {
            var tid = call.Args.RequireString("tid");
            var task = await call.TaskAsync(tid);
            var reply = new JsonObject
            {
                ["task_status"] = task.State?.Status ?? (int)Contracts.TaskStatus.XINIT,
                ["message"] = Views.Message(task.State),
                ["type"] = projects.GetValueOrDefault(task.Pid)?.Type ?? string.Empty,
            };
            if (call.Args.Has("resume"))
            {
                var maxSaved = await MaxSavedEpochAsync(call, task);
                var numEpochs = TrainingParams.Parse(task.ParamsJson)?["num_epochs"]?.AsInt() ?? 0;
                reply["resumable"] = maxSaved > 0 && maxSaved < numEpochs;
                reply["max_saved_epochs"] = maxSaved;
            }

            return JsonReply.Ok(reply);
        }

        var pid = call.Args.String("pid");
        var tasks = pid is null ? await metadata.Tasks.ListAsync(call.Cancellation) : await metadata.TasksOfProjectAsync(pid, call.Cancellation);
        var list = new JsonArray(tasks.Select(t => (JsonNode?)Views.TaskItem(t, projects.GetValueOrDefault(t.Pid)?.Type ?? string.Empty, call.Services.Artifacts)).ToArray());
        return JsonReply.Ok(new JsonObject { ["tasks"] = list });
    }

    private static async ValueTask<IResult> DeleteAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        await DeleteTaskAsync(call, task);
        return JsonReply.Ok();
    }

    /// <summary>Stops the task's jobs, then removes its record and its files.</summary>
    internal static async ValueTask DeleteTaskAsync(ApiCall call, Contracts.TaskInfo task)
    {
        await JobControl.CancelTaskJobsAsync(call, task);
        await call.Services.Metadata.Tasks.DeleteAsync(task.Id, call.Cancellation);
        await call.Services.Artifacts.DeleteAsync(task.Path, call.Cancellation);
    }

    /// <summary>The largest N with a complete <c>output/epoch_N</c> checkpoint, or -1.</summary>
    internal static async ValueTask<int> MaxSavedEpochAsync(ApiCall call, Contracts.TaskInfo task)
    {
        var prefix = $"{task.Path}/output/";
        var entries = await call.Services.Artifacts.ListAsync(prefix, call.Cancellation);
        return entries
            .Select(e => e.Path[prefix.Length..].Split('/'))
            .Where(parts => parts.Length == 2 && parts[1] == ".success" && parts[0].StartsWith("epoch_", StringComparison.Ordinal))
            .Select(parts => int.TryParse(parts[0]["epoch_".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1)
            .DefaultIfEmpty(-1)
            .Max();
    }
}
