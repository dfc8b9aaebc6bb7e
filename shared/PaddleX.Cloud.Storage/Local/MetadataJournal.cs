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
        using var stream = new FileStream(ActivePath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 64 * 1024);
        try
        {
            stream.Position = start;
            if (fresh)
            {
                stream.SetLength(0);
                stream.Write(Header);
            }

            foreach (var frame in frames)
            {
                stream.Write(frame);
            }

            stream.Flush(flushToDisk: true);
            if (fresh)
            {
                // A new file's name must be durable before anything in it is acknowledged.
                DirectorySync.Flush(directory);
            }

            length = stream.Position;
        }
        catch
        {
            try
            {
                stream.SetLength(start);
                stream.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                broken = true;
            }

            throw;
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
