using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Params;
using PaddleX.Cloud.Api.Services;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project/task/params: a task's stored training parameters.</summary>
public static class TaskParamsApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/project/task/params", "ProjectTaskParams", m => m.Get(GetAsync).Post(SetAsync));

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        var tid = call.Args.String("tid");
        if (tid is null)
        {
            throw ApiArgs.Missing("tid");
        }

        var task = await call.TaskAsync(tid);
        return JsonReply.Ok(new JsonObject { ["train"] = TrainingParams.Parse(task.ParamsJson) ?? [] });
    }

    private static async ValueTask<IResult> SetAsync(ApiCall call)
    {
        var tid = call.Args.RequireString("tid");
        var incoming = call.Args.RequireObject("train");
        var task = await call.TaskAsync(tid);
        var project = await call.ProjectAsync(task.Pid);
        await call.Services.Metadata.Tasks.UpdateAsync(
            tid,
            t =>
            {
                if (t.State is not null && t.State.Status != (int)Contracts.TaskStatus.XINIT)
                {
                    throw new ApiException(ErrorCodes.InvalidState, "该任务不在初始化阶段，设置参数失败");
                }

                var stored = TrainingParams.Parse(t.ParamsJson) ?? TrainingParams.Defaults(project.Type);
                TrainingParams.Merge(stored, incoming, project.Type);
                t.ParamsJson = stored.ToJsonString();
            },
            call.Cancellation);
        return JsonReply.Ok();
    }
}
