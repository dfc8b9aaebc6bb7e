using PaddleX.Cloud.Vision.Data;

namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>
/// Detection batches of a <see cref="DetectionDataset"/> through a <see cref="DetectionPipeline"/>, decoded ahead by the
/// same bounded producer/consumer as the classification and segmentation loaders. The epoch's order and every
/// picture's augmentation depend only on (seed, epoch, sample index); a batch's size in multi-scale training only on
/// (seed, epoch, batch index) — so the stream is the same however the work is scheduled, and a resume mid-epoch gets
/// the same batches.
/// </summary>
public sealed class DetectionLoader : PrefetchLoader<DetectionBatch>
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
        : base(batchSize, shuffle, dropLast, seed, decodeWorkers, prefetchBatches)
    {
        Dataset = dataset;
        Pipeline = pipeline;
    }

    public DetectionDataset Dataset { get; }

    public DetectionPipeline Pipeline { get; }

    public override int SampleCount => Dataset.Count;

    /// <summary>Builds one batch synchronously (used by the producer and by tests).</summary>
    /// <param name="epoch">1-based, as the training loop counts.</param>
    public override DetectionBatch BuildBatch(int epoch, int batchIndex, int[] order, ParallelOptions? parallel = null)
    {
        int start = batchIndex * BatchSize;
        int count = Math.Min(BatchSize, order.Length - start);
        int? side = Pipeline.BatchSide(Seed, epoch, batchIndex);
        var items = new DetectionItem[count];
        parallel ??= new ParallelOptions { MaxDegreeOfParallelism = DecodeWorkers };
        Parallel.For(0, count, parallel, i =>
        {
            int sample = order[start + i];
            Random? rng = Pipeline.Train ? new Random(Prefetcher.Mix(Seed, epoch, sample)) : null;
            items[i] = Pipeline.Load(Dataset, sample, rng, epoch, side);
        });
        return DetectionBatch.Collate(batchIndex, items, Pipeline.PadStride);
    }
}
