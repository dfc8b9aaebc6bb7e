using System.Globalization;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Api.Services;

/// <summary>Starting and stopping the long operations of a task. Each kind (train, evaluate,
/// predict, export, prune) has its own <see cref="JobState"/> in <c>Task.jobs</c>; the task's own
/// state mirrors the last operation, as the original's task status does.</summary>
public static class TaskJobs
{
    /// <summary>Records the job as running and enqueues it. At most one job of a kind runs per task.</summary>
    public static async ValueTask<JobMessage> StartAsync(ApiCall call, TaskInfo task, string kind, int status, string parametersJson = "{}", bool mirror = true)
    {
        var message = JobMessageFactory.Create(kind, call.Services.Metadata.WorkspaceId, task.Id, parametersJson);
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        await call.Services.Metadata.Tasks.UpdateAsync(
            task.Id,
            t =>
            {
                if (t.Jobs.TryGetValue(kind, out var current) && JobControl.IsRunning(current))
                {
                    throw new ApiException(ErrorCodes.JobRunning, $"任务{t.Id}的{kind}操作正在进行中，请等待完成或先停止 (a {kind} job of {t.Id} is already running)");
                }

                var state = new JobState { Status = status, Message = "\n", JobId = message.JobId, UpdatedTime = now };
                t.Jobs[kind] = state;
                if (mirror)
                {
                    t.State = state.Clone();
                }
            },
            call.Cancellation);
        try
        {
            await call.Services.Jobs.EnqueueAsync(message, call.Cancellation);
        }
        catch
        {
            await call.Services.Metadata.Tasks.UpdateAsync(task.Id, t => t.Jobs[kind].JobId = string.Empty, CancellationToken.None);
            throw;
        }

        return message;
    }

    /// <summary>Asks the running job of a kind to stop and records <paramref name="status"/> at once;
    /// false when no such job runs.</summary>
    public static async ValueTask<bool> StopAsync(ApiCall call, string tid, string kind, int status, string message, bool mirror = true)
    {
        var stopped = false;
        await call.Services.Metadata.Tasks.UpdateAsync(
            tid,
            t =>
            {
                if (!t.Jobs.TryGetValue(kind, out var job) || !JobControl.IsRunning(job) || job.CancelRequested)
                {
                    return;
                }

                job.CancelRequested = true;
                job.Status = status;
                job.Message = message;
                if (mirror)
                {
                    t.State = new JobState { Status = status, Message = message, UpdatedTime = job.UpdatedTime };
                }
                stopped = true;
            },
            call.Cancellation);
        return stopped;
    }
}
