using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project: create, list, describe and delete projects.</summary>
public static class ProjectApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/project", "Project", m => m
            .Get(GetAsync, "List projects, or describe one with its tasks", "pid?:string", "id?:string")
            .Post(CreateAsync, "Create a project", "name:string", "desc?:string", "project_type:string=classification|detection|segmentation|instance_segmentation|remote_segmentation")
            .Delete(DeleteAsync, "Delete a project and its tasks", "pid:string"));

    private static async ValueTask<IResult> CreateAsync(ApiCall call)
    {
        var name = call.Args.RequireString("name", DatasetApi.MaxNameLength);
        var desc = call.Args.String("desc") ?? string.Empty;
        var type = call.Args.RequireString("project_type");
        if (!ProjectTypes.IsValid(type))
        {
            throw ApiException.Invalid($"无法识别的项目类型{type} (project_type must be one of {string.Join(", ", ProjectTypes.All)})");
        }

        var now = call.Now();
        var project = await call.Services.Metadata.Projects.CreateAsync(
            id => NewProject(id, name, desc, type, string.Empty, now),
            call.Cancellation);
        return JsonReply.Ok(new JsonObject { ["pid"] = project.Id });
    }

    internal static Project NewProject(string id, string name, string desc, string type, string did, string now) =>
        new() { Id = id, Name = name, Desc = desc, Type = type, Did = did, Path = $"projects/{id}", CreateTime = now };

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        var artifacts = call.Services.Artifacts;
        var id = call.Args.String("id") ?? call.Args.String("pid");
        if (id is null)
        {
            return await ListViews.Projects(artifacts).ReplyAsync(call.Services.Metadata.Projects, call.Cancellation);
        }

        var project = await call.ProjectAsync(id, $"项目ID'{id}'不存在");
        var tasks = new JsonObject();
        foreach (var task in await call.Services.Metadata.TasksOfProjectAsync(id, call.Cancellation))
        {
            tasks[task.Id] = new JsonObject { ["status"] = task.State?.Status ?? (int)Contracts.TaskStatus.XINIT };
        }

        var attr = Views.ProjectAttr(project, artifacts);
        attr["tasks"] = tasks;
        return JsonReply.Ok(new JsonObject { ["attr"] = attr });
    }

    private static async ValueTask<IResult> DeleteAsync(ApiCall call)
    {
        var pid = call.Args.RequireString("pid");
        var project = await call.ProjectAsync(pid);
        foreach (var task in await call.Services.Metadata.TasksOfProjectAsync(pid, call.Cancellation))
        {
            await TaskApi.DeleteTaskAsync(call, task);
        }

        await call.Services.Metadata.Projects.DeleteAsync(pid, call.Cancellation);
        await call.Services.Artifacts.DeleteAsync(project.Path, call.Cancellation);
        return JsonReply.Ok();
    }
}
