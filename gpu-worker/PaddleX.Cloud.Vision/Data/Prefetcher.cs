using System.Collections.Concurrent;

namespace PaddleX.Cloud.Vision.Data;

/// <summary>
/// The bounded producer/consumer behind every loader: a background task builds the next batches (each batch's
/// samples in parallel) while the consumer trains on the current one; at most <c>prefetch</c> batches wait. A
/// producer failure surfaces to the consumer as <see cref="InvalidDataException"/>; leaving the enumeration early
/// (or cancelling) stops the producer. <see cref="Mix"/> gives the per-(seed, epoch, sample) random seeds that make a
/// loader's stream independent of how the work is scheduled.
/// </summary>
public static class Prefetcher
{
    /// <param name="first">batches before it are skipped, never built.</param>
    /// <param name="count">batches in the epoch.</param>
    /// <param name="build">builds batch <c>b</c>; the options bound its parallelism and carry the cancellation.</param>
    public static IEnumerable<T> Stream<T>(int first, int count, Func<int, ParallelOptions, T> build, int workers, int prefetch, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            yield break;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var queue = new BlockingCollection<T>(prefetch);
        Exception? failure = null;
        var producer = Task.Run(() =>
        {
            try
            {
                var parallel = new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cts.Token };
                for (int b = Math.Max(0, first); b < count; b++)
                {
                    queue.Add(build(b, parallel), cts.Token);
                }
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            finally
            {
                queue.CompleteAdding();
            }
        }, CancellationToken.None);

        try
        {
            foreach (T batch in queue.GetConsumingEnumerable(cancellationToken))
            {
                yield return batch;
            }

            producer.Wait(CancellationToken.None);
            if (failure is not null)
            {
                throw new InvalidDataException($"data pipeline failed: {failure.Message}", failure);
            }
        }
        finally
        {
            cts.Cancel();
            try
            {
                producer.Wait(TimeSpan.FromSeconds(30));
            }
            catch (AggregateException)
            {
            }
        }
    }

    /// <summary>Deterministic 32-bit seed for (seed, epoch, sample) (SplitMix64 finaliser).</summary>
    public static int Mix(int seed, int epoch, int sample)
    {
        ulong z = ((ulong)(uint)seed << 32) ^ ((ulong)(uint)epoch * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)sample * 0xBF58476D1CE4E5B9UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }
}
