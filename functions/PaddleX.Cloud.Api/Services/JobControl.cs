using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Api.Services;

/// <summary>Asks running jobs to stop. A job owns a <see cref="JobState"/> while its
/// <c>job_id</c> is set; the worker checks <c>cancel_requested</c> between steps, and treats a
/// deleted target as cancelled too.</summary>
public static class JobControl
{
    public static async ValueTask CancelAllAsync(Http.ApiCall call)
    {
        var metadata = call.Services.Metadata;
        foreach (var dataset in await metadata.Datasets.ListAsync(call.Cancellation))
        {
            if (IsRunning(dataset.State))
            {
                await metadata.Datasets.UpdateAsync(dataset.Id, d => d.State.CancelRequested = true, call.Cancellation);
            }
        }

        foreach (var task in await metadata.Tasks.ListAsync(call.Cancellation))
        {
            await CancelTaskJobsAsync(call, task);
        }
    }

    public static async ValueTask CancelTaskJobsAsync(Http.ApiCall call, Contracts.TaskInfo task)
    {
        if (task.Jobs.Values.Any(IsRunning))
        {
            await call.Services.Metadata.Tasks.UpdateAsync(
                task.Id,
                t =>
                {
                    foreach (var job in t.Jobs.Values.Where(IsRunning))
                    {
                        job.CancelRequested = true;
                    }
                },
                call.Cancellation);
        }
    }

    public static bool IsRunning(JobState? state) => state is not null && state.JobId.Length > 0;
}
