namespace PaddleX.Cloud.Vision.Data;

/// <summary>
/// What every loader shares: bounded producer/consumer batching (<see cref="Prefetcher"/>: a background task builds
/// the next batches, samples of a batch in parallel, while the consumer trains on the current one), the epoch's
/// sample order, and determinism — the order of an epoch and every sample's augmentation depend only on (seed,
/// epoch, sample index), so the stream is the same however the work is scheduled.
/// </summary>
public abstract class PrefetchLoader<TBatch>
{
    protected PrefetchLoader(int batchSize, bool shuffle, bool dropLast, int seed, int decodeWorkers, int prefetchBatches)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(decodeWorkers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(prefetchBatches, 1);
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Seed = seed;
        DecodeWorkers = decodeWorkers;
        PrefetchBatches = prefetchBatches;
    }

    public int BatchSize { get; }

    public bool Shuffle { get; }

    public bool DropLast { get; }

    public int Seed { get; }

    public int DecodeWorkers { get; }

    public int PrefetchBatches { get; }

    public abstract int SampleCount { get; }

    public int BatchesPerEpoch => DropLast ? SampleCount / BatchSize : (SampleCount + BatchSize - 1) / BatchSize;

    /// <summary>The sample order of an epoch (a seeded Fisher–Yates shuffle, or identity).</summary>
    public int[] EpochOrder(int epoch)
    {
        int[] order = Enumerable.Range(0, SampleCount).ToArray();
        if (Shuffle)
        {
            var rng = new Random(Prefetcher.Mix(Seed, epoch, -1));
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }

        return order;
    }

    /// <summary>Builds one batch synchronously (used by the producer and by tests).</summary>
    public abstract TBatch BuildBatch(int epoch, int batchIndex, int[] order, ParallelOptions? parallel = null);

    /// <summary>Streams the batches of one epoch, built ahead by a background producer.</summary>
    /// <param name="firstBatch">batches before it are skipped, never decoded (a resume mid-epoch); the rest
    /// are the same batches, same order, as in a full pass.</param>
    public IEnumerable<TBatch> Epoch(int epoch, CancellationToken cancellationToken = default, int firstBatch = 0)
    {
        int[] order = EpochOrder(epoch);
        return Prefetcher.Stream(firstBatch, BatchesPerEpoch, (b, parallel) => BuildBatch(epoch, b, order, parallel), DecodeWorkers, PrefetchBatches, cancellationToken);
    }
}
