using System.Buffers;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>The journal next to the snapshot: <c>workspace.journal</c> holds the changes made since
/// the snapshot, <c>workspace.journal.old</c> the changes a compaction in progress is folding into
/// the next snapshot. Each is a header followed by <see cref="JournalRecord"/> frames.</summary>
internal sealed class MetadataJournal(string directory)
{
    public const string ActiveName = "workspace.journal";
    public const string RotatedName = "workspace.journal.old";
    private static readonly byte[] Header = "PXJRNL1\n"u8.ToArray();

    /// <summary>Bytes of the active file; -1 before the first append after start or rotation.</summary>
    private long length = -1;
    private bool broken;

    public string ActivePath { get; } = Path.Combine(directory, ActiveName);

    public string RotatedPath { get; } = Path.Combine(directory, RotatedName);

    public long Length => Math.Max(length, 0);

    /// <summary>Records of <paramref name="path"/> up to the first incomplete or damaged frame (the
    /// tail of a write a crash cut short, never acknowledged); nothing when the file is missing.</summary>
    public static IEnumerable<JournalRecord> Read(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        var data = File.ReadAllBytes(path);
        if (!data.AsSpan().StartsWith(Header))
        {
            yield break;
        }

        var offset = Header.Length;
        while (JournalRecord.TryDecode(data.AsSpan(offset)) is { } decoded)
        {
            offset += decoded.Length;
            yield return decoded.Record;
        }
    }

    /// <summary>Writes <paramref name="frames"/> and flushes them to the device with one fsync. When
    /// this throws, the file is cut back to where it was, so no part of the batch can come back.</summary>
    public void Append(IReadOnlyList<byte[]> frames)
    {
        if (broken)
        {
            throw new IOException($"{ActivePath} could not be repaired after a failed write; restart to recover");
        }

        var fresh = length < 0;
        var start = fresh ? 0 : length;
        var size = (fresh ? Header.Length : 0) + frames.Sum(f => f.Length);
        // One write of the whole batch from a pooled buffer: no per-batch stream buffer to allocate.
        var batch = ArrayPool<byte>.Shared.Rent(size);
        using var handle = File.OpenHandle(ActivePath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        try
        {
            var at = 0;
            if (fresh)
            {
                RandomAccess.SetLength(handle, 0);
                Header.CopyTo(batch, 0);
                at = Header.Length;
            }

            foreach (var frame in frames)
            {
                frame.CopyTo(batch, at);
                at += frame.Length;
            }

            RandomAccess.Write(handle, batch.AsSpan(0, size), start);
            RandomAccess.FlushToDisk(handle);
            if (fresh)
            {
                // A new file's name must be durable before anything in it is acknowledged.
                DirectorySync.Flush(directory);
            }

            length = start + size;
        }
        catch
        {
            try
            {
                RandomAccess.SetLength(handle, start);
                RandomAccess.FlushToDisk(handle);
            }
            catch (IOException)
            {
                broken = true;
            }

            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
        }
    }

    /// <summary>Renames the active file to the rotated name; the next append starts a new file.</summary>
    public void Rotate()
    {
        if (File.Exists(ActivePath))
        {
            File.Move(ActivePath, RotatedPath);
        }

        length = -1;
    }
}
