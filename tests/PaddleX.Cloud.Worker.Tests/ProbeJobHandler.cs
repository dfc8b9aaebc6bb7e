using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Tests;

/// <summary>A job kind for exercising the runner: its target is a dataset, its parameters say what
/// to do ("ok", "fault", "wait").</summary>
public sealed class ProbeJobHandler(IMetadataStore metadata) : IJobHandler
{
    public const string ProbeKind = "probe";

    public string Kind => ProbeKind;

    public int Runs;

    private bool cancelled;

    /// <summary>Whether a "wait" run saw its cancellation (stop, or superseded).</summary>
    public bool Cancelled => Volatile.Read(ref cancelled);

    public string? DeadLetterReason { get; private set; }

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask<JobState?> ReadStateAsync(JobMessage message, CancellationToken cancellationToken) =>
        (await metadata.Datasets.GetAsync(message.TargetId, cancellationToken))?.State;

    public async ValueTask<bool> ClaimAsync(JobMessage message, int delivery, CancellationToken cancellationToken)
    {
        var claimed = false;
        await metadata.Datasets.UpdateAsync(message.TargetId, d => claimed = JobFence.TryClaim(d.State, message.JobId, delivery), cancellationToken);
        return claimed;
    }

    public async ValueTask RunAsync(JobContext context)
    {
        Interlocked.Increment(ref Runs);
        Started.TrySetResult();
        switch (context.Message.ParametersJson)
        {
            case "fault":
                throw new InvalidOperationException("probe fault");
            case "wait":
                try
                {
                    await Task.Delay(Timeout.Infinite, context.Cancellation);
                }
                catch (OperationCanceledException) when (!context.IsShuttingDown())
                {
                    Volatile.Write(ref cancelled, true);
                    await SetAsync(context.Message.TargetId, DatasetStatus.XCOPYFAIL, "stopped");
                    throw;
                }

                break;
            default:
                await SetAsync(context.Message.TargetId, DatasetStatus.XCOPYDONE, "done");
                break;
        }
    }

    public async ValueTask OnDeadLetteredAsync(JobMessage message, string reason, CancellationToken cancellationToken)
    {
        DeadLetterReason = reason;
        await SetAsync(message.TargetId, DatasetStatus.XCOPYFAIL, reason);
    }

    private async ValueTask SetAsync(string did, DatasetStatus status, string text) =>
        await metadata.Datasets.UpdateAsync(did, d =>
        {
            if (d.State is null || JobFence.Allows(d.State))
            {
                d.State = new JobState { Status = (int)status, Message = text };
            }
        });
}
