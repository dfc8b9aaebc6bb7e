namespace PaddleX.Cloud.Storage.Local;

public sealed class LocalMetadataStoreOptions
{
    /// <summary>The journal is folded into a new snapshot once it is larger than this and larger
    /// than the last snapshot, so a write costs O(its change) plus an amortized constant.</summary>
    public long CompactAfterBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Fault injection for crash tests: called with the name of each compaction step
    /// (<c>rotated</c>, <c>snapshot-written</c>, <c>compacted</c>) right after it is done.</summary>
    internal Action<string>? AfterCompactionStep { get; init; }
}
