namespace PaddleX.Cloud.Vision.Data;

/// <summary>A decoded batch in host memory: NCHW float32 plus int64 labels (one per sample for
/// classification, one per pixel — N×H×W — for segmentation).</summary>
public sealed record HostBatch(int Index, int Count, int Channels, int Height, int Width, float[] Data, long[] Labels) : Training.ITrainingBatch;

/// <summary>The samples a <see cref="BatchLoader"/> batches: each one decoded, augmented (when a random
/// source is given) and written into fixed-size slots.</summary>
public interface ISampleSource
{
    int Count { get; }

    int Channels { get; }

    int Height { get; }

    int Width { get; }

    /// <summary>Labels per sample (1 for a class index, H×W for a label map).</summary>
    int LabelLength { get; }

    void Load(int index, Random? rng, Span<float> data, Span<long> labels);
}

/// <summary>Classification samples through <see cref="ClassificationTransforms"/>.</summary>
internal sealed class ClassificationSource(IReadOnlyList<ClassificationSample> samples, ClassificationTransforms transforms) : ISampleSource
{
    public int Count => samples.Count;

    public int Channels => 3;

    public int Height => transforms.Height;

    public int Width => transforms.Width;

    public int LabelLength => 1;

    public void Load(int index, Random? rng, Span<float> data, Span<long> labels)
    {
        transforms.Apply(samples[index].Path, rng, data);
        labels[0] = samples[index].Label;
    }
}

/// <summary>
/// Classification and segmentation batches of fixed-size samples (an <see cref="ISampleSource"/>) written into one
/// NCHW buffer; scheduling, order and determinism as every <see cref="PrefetchLoader{TBatch}"/>.
/// </summary>
public sealed class BatchLoader : PrefetchLoader<HostBatch>
{
    private readonly ISampleSource source;

    public BatchLoader(
        IReadOnlyList<ClassificationSample> samples,
        ClassificationTransforms transforms,
        int batchSize,
        bool shuffle,
        bool augment,
        bool dropLast,
        int seed,
        int decodeWorkers = 2,
        int prefetchBatches = 3)
        : this(new ClassificationSource(samples, transforms), batchSize, shuffle, augment, dropLast, seed, decodeWorkers, prefetchBatches)
    {
    }

    public BatchLoader(
        ISampleSource source,
        int batchSize,
        bool shuffle,
        bool augment,
        bool dropLast,
        int seed,
        int decodeWorkers = 2,
        int prefetchBatches = 3)
        : base(batchSize, shuffle, dropLast, seed, decodeWorkers, prefetchBatches)
    {
        this.source = source;
        AugmentEnabled = augment;
    }

    public bool AugmentEnabled { get; }

    public override int SampleCount => source.Count;

    /// <summary>Builds one batch synchronously (used by the producer and by tests).</summary>
    public override HostBatch BuildBatch(int epoch, int batchIndex, int[] order, ParallelOptions? parallel = null)
    {
        int start = batchIndex * BatchSize;
        int count = Math.Min(BatchSize, order.Length - start);
        int len = source.Channels * source.Height * source.Width;
        int labelLen = source.LabelLength;
        var data = new float[count * len];
        var labels = new long[count * labelLen];
        parallel ??= new ParallelOptions { MaxDegreeOfParallelism = DecodeWorkers };
        Parallel.For(0, count, parallel, i =>
        {
            int sample = order[start + i];
            Random? rng = AugmentEnabled ? new Random(Prefetcher.Mix(Seed, epoch, sample)) : null;
            source.Load(sample, rng, data.AsSpan(i * len, len), labels.AsSpan(i * labelLen, labelLen));
        });
        return new HostBatch(batchIndex, count, source.Channels, source.Height, source.Width, data, labels);
    }
}
