using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Api.Services;

/// <summary>Entity lookups that fail with the original server's messages.</summary>
public static class Lookups
{
    public static async ValueTask<Dataset> DatasetAsync(this ApiCall call, string did, string? message = null) =>
        await call.Services.Metadata.Datasets.GetAsync(did, call.Cancellation)
        ?? throw ApiException.NotFound(ErrorCodes.DatasetNotFound, message ?? $"数据集ID'{did}'不存在.");

    public static async ValueTask<Project> ProjectAsync(this ApiCall call, string pid, string? message = null) =>
        await call.Services.Metadata.Projects.GetAsync(pid, call.Cancellation)
        ?? throw ApiException.NotFound(ErrorCodes.ProjectNotFound, message ?? $"项目ID'{pid}'不存在.");

    public static async ValueTask<Contracts.TaskInfo> TaskAsync(this ApiCall call, string tid, string? message = null) =>
        await call.Services.Metadata.Tasks.GetAsync(tid, call.Cancellation)
        ?? throw ApiException.NotFound(ErrorCodes.TaskNotFound, message ?? $"任务ID'{tid}'不存在");

    /// <summary>Local time as the original writes it: <c>YYYY-MM-DD HH:MM:SS</c>.</summary>
    public static string Now(this ApiCall call) =>
        call.Services.Clock.GetLocalNow().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A workspace path argument confined to the workspace, as a workspace-relative path.</summary>
    public static string ConfinedPath(this ApiCall call, string key)
    {
        var path = call.Args.RequireString(key);
        return call.Services.Artifacts.TryResolve(path, out var relative)
            ? relative
            : throw new ApiException(ErrorCodes.PathNotAllowed, $"路径{path}不在工作空间内 (path is outside the workspace)");
    }
}
