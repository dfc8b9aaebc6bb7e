using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project/task/vdl: where VisualDL used to be, the API's own training dashboard.</summary>
public static class VdlApi
{
    public const string BoardPath = "/project/task/vdl/board";

    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = typeof(VdlApi).Assembly.GetManifestResourceStream("PaddleX.Cloud.Api.Dashboard.board.html")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static void Map(RouteTableBuilder routes)
    {
        routes.Route("/project/task/vdl", "ProjectTaskVdl", m => m.Get(UrlAsync, "Address of the task's training dashboard", "tid:string"));
        routes.Route(BoardPath, "ProjectTaskVdlBoard", m => m.Get(BoardAsync, "The training dashboard page (HTML)", "tid:string"));
    }

    /// <summary><c>url</c> is host:port/path without a scheme, as the original answered; <c>href</c> is the full address.</summary>
    private static async ValueTask<IResult> UrlAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        var request = call.Http.Request;
        var address = $"{request.Host}{request.PathBase}{BoardPath}?tid={Uri.EscapeDataString(task.Id)}";
        return JsonReply.Ok(new JsonObject { ["url"] = address, ["href"] = $"{request.Scheme}://{address}" });
    }

    private static async ValueTask<IResult> BoardAsync(ApiCall call)
    {
        await call.TaskAsync(call.Args.RequireString("tid"));
        return Results.Content(Page.Value, "text/html; charset=utf-8");
    }
}
