namespace PaddleX.Cloud.Vision.Data;

/// <summary>A decoded batch in host memory: NCHW float32 plus int64 labels (one per sample for
/// classification, one per pixel — N×H×W — for segmentation).</summary>
public sealed record HostBatch(int Index, int Count, int Channels, int Height, int Width, float[] Data, long[] Labels);

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
/// Bounded producer/consumer batching: a background task decodes and augments the next batches (samples of a
/// batch in parallel) while the consumer trains on the current one. The sample order of an epoch and every
/// sample's augmentation depend only on (seed, epoch, sample index), so the stream is deterministic no matter
/// how the work is scheduled.
/// </summary>
public sealed class BatchLoader
{
    private readonly ISampleSource _source;

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
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(decodeWorkers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(prefetchBatches, 1);
        _source = source;
        BatchSize = batchSize;
        Shuffle = shuffle;
        AugmentEnabled = augment;
        DropLast = dropLast;
        Seed = seed;
        DecodeWorkers = decodeWorkers;
        PrefetchBatches = prefetchBatches;
    }

    public int BatchSize { get; }
    public bool Shuffle { get; }
    public bool AugmentEnabled { get; }
    public bool DropLast { get; }
    public int Seed { get; }
    public int DecodeWorkers { get; }
    public int PrefetchBatches { get; }
    public int SampleCount => _source.Count;

    public int BatchesPerEpoch => DropLast ? _source.Count / BatchSize : (_source.Count + BatchSize - 1) / BatchSize;

    /// <summary>The sample order of an epoch (a seeded Fisher–Yates shuffle, or identity).</summary>
    public int[] EpochOrder(int epoch) => Order(_source.Count, Shuffle, Seed, epoch);

    /// <summary>The sample order of an epoch for any loader: a Fisher–Yates shuffle seeded by (seed, epoch), or identity.</summary>
    public static int[] Order(int count, bool shuffle, int seed, int epoch)
    {
        int[] order = Enumerable.Range(0, count).ToArray();
        if (shuffle)
        {
            var rng = new Random(Mix(seed, epoch, -1));
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }

        return order;
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

    /// <summary>Builds one batch synchronously (used by the producer and by tests).</summary>
    public HostBatch BuildBatch(int epoch, int batchIndex, int[] order, ParallelOptions? parallel = null)
    {
        int start = batchIndex * BatchSize;
        int count = Math.Min(BatchSize, order.Length - start);
        int len = _source.Channels * _source.Height * _source.Width;
        int labelLen = _source.LabelLength;
        var data = new float[count * len];
        var labels = new long[count * labelLen];
        parallel ??= new ParallelOptions { MaxDegreeOfParallelism = DecodeWorkers };
        Parallel.For(0, count, parallel, i =>
        {
            int sample = order[start + i];
            Random? rng = AugmentEnabled ? new Random(Mix(Seed, epoch, sample)) : null;
            _source.Load(sample, rng, data.AsSpan(i * len, len), labels.AsSpan(i * labelLen, labelLen));
        });
        return new HostBatch(batchIndex, count, _source.Channels, _source.Height, _source.Width, data, labels);
    }

    /// <summary>Streams the batches of one epoch, decoded ahead by a background producer.</summary>
    /// <param name="firstBatch">batches before it are skipped, never decoded (a resume mid-epoch); the rest
    /// are the same batches, same order, as in a full pass.</param>
    public IEnumerable<HostBatch> Epoch(int epoch, CancellationToken cancellationToken = default, int firstBatch = 0)
    {
        int[] order = EpochOrder(epoch);
        return Prefetcher.Stream(firstBatch, BatchesPerEpoch, (b, parallel) => BuildBatch(epoch, b, order, parallel), DecodeWorkers, PrefetchBatches, cancellationToken);
    }
}
