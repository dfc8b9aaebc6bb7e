using System.Buffers;

namespace PaddleX.Cloud.Api.Http;

/// <summary>One version of a list answer <c>{"status":1,"name":[item,...]}</c>, encoded once and
/// shared by every reader of that version: its identity length, its ETag, and, made by the first
/// reader that accepts gzip, the gzip body as segments to write. The items are cut into blocks of
/// about <see cref="ItemsPerBlock"/>, each compressed on its own; a block starts at an item whose id
/// hashes to a boundary, so a block depends on its own items only, and the next version reuses every
/// block that a change did not touch (compressing a 2 MB list once, then one block per change).</summary>
internal sealed class ListBody
{
    internal const int ItemsPerBlock = 64;

    private static readonly byte[] GzipHeader = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255]; // deflate, no name or time, fastest, unknown OS

    private readonly ListFrame frame;
    private readonly int[] starts; // the index of each block's first item
    private readonly Block[] blocks;
    private IReadOnlyList<ListItem> items;
    private byte[][]? gzip;

    private ListBody(ListFrame frame, IReadOnlyList<ListItem> items, int[] starts, Block[] blocks, string etag)
    {
        this.frame = frame;
        this.items = items;
        this.starts = starts;
        this.blocks = blocks;
        ETag = etag;
        Length = frame.Head.Length + frame.Tail.Length + blocks.Sum(b => b.Length);
    }

    /// <summary>The items this body was made from (or a list equal to them).</summary>
    public IReadOnlyList<ListItem> Items => Volatile.Read(ref items);

    public string ETag { get; }

    /// <summary>Length of the identity (uncompressed) answer.</summary>
    public long Length { get; }

    public ListFrame Frame => frame;

    /// <summary>The gzip answer as segments to write in order; null until <see cref="MakeGzip"/>.</summary>
    public byte[][]? Gzip => Volatile.Read(ref gzip);

    /// <summary>The body of <paramref name="current"/>: <paramref name="before"/> itself when the
    /// items are equal to its own, else a new body reusing every block of it whose items are equal.
    /// Not thread-safe: one caller at a time per list (see <see cref="ListBodyCache"/>).</summary>
    public static ListBody Make(ListFrame frame, IReadOnlyList<ListItem> current, ListBody? before, Func<string> newETag)
    {
        var starts = new List<int>(current.Count / ItemsPerBlock + 1);
        for (var i = 0; i < current.Count; i++)
        {
            if (i == 0 || StartsBlock(current[i].Id))
            {
                starts.Add(i);
            }
        }

        var firstIds = before?.FirstIds();
        var blocks = new Block[starts.Count];
        var unchanged = before is not null && before.blocks.Length == blocks.Length;
        for (var b = 0; b < blocks.Length; b++)
        {
            var (start, end) = (starts[b], b + 1 < starts.Count ? starts[b + 1] : current.Count);
            var reused = firstIds is not null && firstIds.TryGetValue(current[start].Id, out var at) && before!.SameBlock(at, current, start, end) ? before.blocks[at] : null;
            blocks[b] = reused ?? new Block(start > 0, ItemsLength(current, start, end));
            unchanged = unchanged && ReferenceEquals(reused, before!.blocks[b]);
        }

        if (unchanged)
        {
            Volatile.Write(ref before!.items, current);
            return before;
        }

        return new ListBody(frame, current, [.. starts], blocks, newETag());
    }

    /// <summary>Compresses the blocks not compressed yet (by an earlier version) and assembles the
    /// gzip segments. Not thread-safe, as <see cref="Make"/>.</summary>
    public void MakeGzip()
    {
        if (Gzip is not null)
        {
            return;
        }

        var current = Items;
        var segments = new byte[blocks.Length + 4][];
        segments[0] = GzipHeader;
        segments[1] = frame.HeadPart.Deflated;
        var crc = frame.HeadPart.Crc;
        var length = frame.HeadPart.Length;
        for (var b = 0; b < blocks.Length; b++)
        {
            var part = blocks[b].Compressed(current, starts[b], b + 1 < starts.Length ? starts[b + 1] : current.Count);
            segments[b + 2] = part.Deflated;
            crc = Crc32.Combine(crc, part.Crc, part.Shift);
            length += part.Length;
        }

        segments[^2] = frame.TailPart.Deflated;
        crc = Crc32.Combine(crc, frame.TailPart.Crc, frame.TailPart.Shift);
        length += frame.TailPart.Length;
        var trailer = new byte[8];
        BitConverter.TryWriteBytes(trailer.AsSpan(0, 4), crc); // little-endian on every platform .NET runs this on
        BitConverter.TryWriteBytes(trailer.AsSpan(4, 4), (uint)length);
        segments[^1] = trailer;
        Volatile.Write(ref gzip, segments);
    }

    /// <summary>Block boundaries by a hash of the id (FNV-1a), stable across processes.</summary>
    private static bool StartsBlock(string id)
    {
        var hash = 2166136261u;
        foreach (var c in id)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash % ItemsPerBlock == 0;
    }

    private static long ItemsLength(IReadOnlyList<ListItem> items, int start, int end)
    {
        long length = start > 0 ? end - start : end - start - 1; // the commas
        for (var i = start; i < end; i++)
        {
            length += items[i].Json.Length;
        }

        return length;
    }

    private Dictionary<string, int> FirstIds()
    {
        var current = Items;
        var ids = new Dictionary<string, int>(starts.Length, StringComparer.Ordinal);
        for (var b = 0; b < starts.Length; b++)
        {
            ids[current[starts[b]].Id] = b;
        }

        return ids;
    }

    private bool SameBlock(int block, IReadOnlyList<ListItem> other, int start, int end)
    {
        var mine = Items;
        var from = starts[block];
        var to = block + 1 < starts.Length ? starts[block + 1] : mine.Count;
        if (to - from != end - start || (from > 0) != (start > 0))
        {
            return false;
        }

        for (var i = 0; i < end - start; i++)
        {
            if (!mine[from + i].SameAs(other[start + i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Items of one block (each but the list's first preceded by a comma), compressed when
    /// a gzip answer first needs them.</summary>
    private sealed class Block(bool leadingComma, long length)
    {
        private DeflatedPart? compressed;

        public long Length { get; } = length;

        public DeflatedPart Compressed(IReadOnlyList<ListItem> items, int start, int end)
        {
            if (compressed is not null)
            {
                return compressed;
            }

            var raw = ArrayPool<byte>.Shared.Rent((int)Length);
            try
            {
                var at = 0;
                for (var i = start; i < end; i++)
                {
                    if (leadingComma || i > start)
                    {
                        raw[at++] = (byte)',';
                    }

                    items[i].Json.CopyTo(raw, at);
                    at += items[i].Json.Length;
                }

                return compressed = DeflatedPart.Compress(raw.AsSpan(0, at), final: false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(raw);
            }
        }
    }
}
