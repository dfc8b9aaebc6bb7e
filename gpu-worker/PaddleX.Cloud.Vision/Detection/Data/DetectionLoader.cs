using PaddleX.Cloud.Vision.Data;

namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>
/// Detection batches of a <see cref="DetectionDataset"/> through a <see cref="DetectionPipeline"/>, decoded ahead by the
/// same bounded producer/consumer as the classification and segmentation loaders. The epoch's order and every
/// picture's augmentation depend only on (seed, epoch, sample index); a batch's size in multi-scale training only on
/// (seed, epoch, batch index) — so the stream is the same however the work is scheduled, and a resume mid-epoch gets
/// the same batches.
/// </summary>
public sealed class DetectionLoader
{
    public DetectionLoader(
        DetectionDataset dataset,
        DetectionPipeline pipeline,
        int batchSize,
        bool shuffle,
        bool dropLast,
        int seed,
        int decodeWorkers = 2,
        int prefetchBatches = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(decodeWorkers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(prefetchBatches, 1);
        Dataset = dataset;
        Pipeline = pipeline;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Seed = seed;
        DecodeWorkers = decodeWorkers;
        PrefetchBatches = prefetchBatches;
    }

    public DetectionDataset Dataset { get; }

    public DetectionPipeline Pipeline { get; }

    public int BatchSize { get; }

    public bool Shuffle { get; }

    public bool DropLast { get; }

    public int Seed { get; }

    public int DecodeWorkers { get; }

    public int PrefetchBatches { get; }

    public int BatchesPerEpoch => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    public int[] EpochOrder(int epoch) => BatchLoader.Order(Dataset.Count, Shuffle, Seed, epoch);

    /// <summary>Builds one batch synchronously (used by the producer and by tests).</summary>
    /// <param name="epoch">1-based, as the training loop counts.</param>
    public DetectionBatch BuildBatch(int epoch, int batchIndex, int[] order, ParallelOptions? parallel = null)
    {
        int start = batchIndex * BatchSize;
        int count = Math.Min(BatchSize, order.Length - start);
        int? side = Pipeline.BatchSide(Seed, epoch, batchIndex);
        var items = new DetectionItem[count];
        parallel ??= new ParallelOptions { MaxDegreeOfParallelism = DecodeWorkers };
        Parallel.For(0, count, parallel, i =>
        {
            int sample = order[start + i];
            Random? rng = Pipeline.Train ? new Random(BatchLoader.Mix(Seed, epoch, sample)) : null;
            items[i] = Pipeline.Load(Dataset, sample, rng, epoch, side);
        });
        return DetectionBatch.Collate(batchIndex, items, Pipeline.PadStride);
    }

    /// <summary>Streams the batches of one epoch.</summary>
    /// <param name="firstBatch">batches before it are skipped, never decoded (a resume mid-epoch).</param>
    public IEnumerable<DetectionBatch> Epoch(int epoch, CancellationToken cancellationToken = default, int firstBatch = 0)
    {
        int[] order = EpochOrder(epoch);
        return Prefetcher.Stream(firstBatch, BatchesPerEpoch, (b, parallel) => BuildBatch(epoch, b, order, parallel), DecodeWorkers, PrefetchBatches, cancellationToken);
    }
}
