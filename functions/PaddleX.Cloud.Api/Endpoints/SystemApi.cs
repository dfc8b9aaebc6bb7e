using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/system: machine information and GPU memory.</summary>
public static class SystemApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/system", "System", m => m
            .Get(GetAsync, "Machine information or GPU memory", "type:string=machine_info|gpu_memory_size")
            .Delete(DeleteAsync, "Stop every running job of the workspace"));

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        var machine = call.Services.Machine;
        return call.Args.RequireString("type") switch
        {
            "machine_info" => JsonReply.Ok(new JsonObject { ["info"] = await machine.MachineInfoAsync(call.Cancellation) }),
            "gpu_memory_size" => JsonReply.Ok(new JsonObject { ["gpu_mem_infos"] = await machine.GpuMemoryAsync(call.Cancellation) }),
            var other => throw ApiException.Invalid($"type只能为machine_info或gpu_memory_size (unknown type '{other}')"),
        };
    }

    /// <summary>Stops every running job of this workspace, as the original's DELETE did; the server keeps running.</summary>
    private static async ValueTask<IResult> DeleteAsync(ApiCall call)
    {
        await JobControl.CancelAllAsync(call);
        return JsonReply.Ok();
    }
}
