using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Datasets.Jobs;

/// <summary>
/// Fencing for at-least-once delivery. A worker paused past its lease (GC, a frozen VM, a network partition) wakes
/// up still running a job the queue has meanwhile given to another worker. Each run claims its job's state with the
/// queue's delivery count (<see cref="IJobTarget.ClaimAsync"/>); a state claimed by a later delivery ignores the
/// earlier run's writes, and the earlier run stops at its next check.
/// </summary>
/// <remarks>The delivery of the run on the current async flow travels in an <see cref="AsyncLocal{T}"/> so every state
/// write of a job (progress callbacks from the trainer's thread included) is fenced without threading the delivery
/// through each handler's calls.</remarks>
public static class JobFence
{
    private static readonly AsyncLocal<int> CurrentDelivery = new();

    /// <summary>The delivery of the run on this flow; 0 outside a worker's job (the API, tools).</summary>
    public static int Current
    {
        get => CurrentDelivery.Value;
        set => CurrentDelivery.Value = value;
    }

    /// <summary>Whether the run on this flow may write <paramref name="state"/>: not claimed by a later delivery.</summary>
    public static bool Allows(JobState state) => Current == 0 || state.Delivery <= Current;

    /// <summary>Claims <paramref name="state"/> for <paramref name="delivery"/> of job <paramref name="jobId"/>:
    /// false when another job owns it or a later delivery already claimed it.</summary>
    public static bool TryClaim(JobState? state, string jobId, int delivery)
    {
        if (state is null || state.JobId != jobId || state.Delivery > delivery)
        {
            return false;
        }

        state.Delivery = delivery;
        return true;
    }
}
