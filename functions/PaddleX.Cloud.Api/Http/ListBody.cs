using System.Buffers;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api.Http;

/// <summary>One version of a list answer <c>{"status":1,"name":[item,...]}</c>, encoded once and
/// shared by every reader of that version: its identity length, its ETag, and, made by the first
/// reader that accepts gzip, the gzip body as segments to write. The items are cut into blocks, each
/// compressed on its own, and the next version reuses every block whose items a change did not
/// touch (compressing a 2 MB list once, then one block per change). A <see cref="ChunkedList{T}"/>
/// (the local store's listings) is cut at its chunks, and a chunk seen before is recognised by its
/// key without looking at its items; any other list is cut where an id hashes to a boundary (about
/// every <see cref="ItemsPerBlock"/> items), so a block depends on its own items only.</summary>
internal sealed class ListBody
{
    internal const int ItemsPerBlock = 64;

    private static readonly byte[] GzipHeader = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255]; // deflate, no name or time, fastest, unknown OS

    private readonly ListFrame frame;
    private readonly Block[] blocks;
    private IReadOnlyList<ListItem> items;
    private byte[][]? gzip;
    private Dictionary<string, int>? firstIds;

    private ListBody(ListFrame frame, IReadOnlyList<ListItem> items, Block[] blocks, string etag)
    {
        this.frame = frame;
        this.items = items;
        this.blocks = blocks;
        ETag = etag;
        Length = frame.Head.Length + frame.Tail.Length + blocks.Sum(b => b.Length);
    }

    /// <summary>The items this body was made from (or a list equal to them).</summary>
    public IReadOnlyList<ListItem> Items => Volatile.Read(ref items);

    /// <summary>The items in order, block by block (equal to <see cref="Items"/>).</summary>
    public IEnumerable<IReadOnlyList<ListItem>> Parts => blocks.Select(b => b.Items);

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
        var chunks = current is ChunkedList<ListItem> chunked ? chunked.Chunks : CutAtBoundaries(current);
        var blocks = new Block[chunks.Count];
        var unchanged = before is not null && before.blocks.Length == blocks.Length;
        for (var b = 0; b < blocks.Length; b++)
        {
            var (key, chunk) = chunks[b];
            var reused = before?.Find(key, chunk, leadingComma: b > 0);
            blocks[b] = reused ?? new Block(key, chunk, leadingComma: b > 0);
            unchanged = unchanged && ReferenceEquals(reused, before!.blocks[b]);
        }

        if (unchanged)
        {
            Volatile.Write(ref before!.items, current);
            return before;
        }

        return new ListBody(frame, current, blocks, newETag());
    }

    /// <summary>Compresses the blocks not compressed yet (by an earlier version) and assembles the
    /// gzip segments. Not thread-safe, as <see cref="Make"/>.</summary>
    public void MakeGzip()
    {
        if (Gzip is not null)
        {
            return;
        }

        var segments = new byte[blocks.Length + 4][];
        segments[0] = GzipHeader;
        segments[1] = frame.HeadPart.Deflated;
        var crc = frame.HeadPart.Crc;
        var length = frame.HeadPart.Length;
        for (var b = 0; b < blocks.Length; b++)
        {
            var part = blocks[b].Compressed();
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

    /// <summary>Blocks of a plain list: a block starts at an item whose id hashes to a boundary.</summary>
    private static ListChunk<ListItem>[] CutAtBoundaries(IReadOnlyList<ListItem> items)
    {
        var chunks = new List<ListChunk<ListItem>>(items.Count / ItemsPerBlock + 1);
        var start = 0;
        for (var i = 1; i <= items.Count; i++)
        {
            if (i == items.Count || StartsBlock(items[i].Id))
            {
                var chunk = new ListItem[i - start];
                for (var j = 0; j < chunk.Length; j++)
                {
                    chunk[j] = items[start + j];
                }

                chunks.Add(new ListChunk<ListItem>(chunk, chunk));
                start = i;
            }
        }

        return [.. chunks];
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

    /// <summary>This body's block of the same items, found by the first id: the same chunk (by its
    /// key), else equal items (a store that hands out new instances for unchanged entities).</summary>
    private Block? Find(object key, IReadOnlyList<ListItem> chunk, bool leadingComma)
    {
        if (firstIds is null)
        {
            firstIds = new Dictionary<string, int>(blocks.Length, StringComparer.Ordinal);
            for (var b = 0; b < blocks.Length; b++)
            {
                firstIds[blocks[b].Items[0].Id] = b;
            }
        }

        return firstIds.TryGetValue(chunk[0].Id, out var at)
            && blocks[at].LeadingComma == leadingComma
            && (ReferenceEquals(blocks[at].Key, key) || blocks[at].SameItems(chunk))
            ? blocks[at]
            : null;
    }

    /// <summary>Items of one block (each but the list's first preceded by a comma), compressed when
    /// a gzip answer first needs them.</summary>
    private sealed class Block(object key, IReadOnlyList<ListItem> items, bool leadingComma)
    {
        private DeflatedPart? compressed;

        public object Key => key;

        public IReadOnlyList<ListItem> Items => items;

        public bool LeadingComma => leadingComma;

        public long Length { get; } = (leadingComma ? items.Count : items.Count - 1) + items.Sum(i => (long)i.Json.Length);

        public bool SameItems(IReadOnlyList<ListItem> other)
        {
            if (other.Count != items.Count)
            {
                return false;
            }

            for (var i = 0; i < items.Count; i++)
            {
                if (!items[i].SameAs(other[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public DeflatedPart Compressed()
        {
            if (compressed is not null)
            {
                return compressed;
            }

            var raw = ArrayPool<byte>.Shared.Rent((int)Length + 1);
            try
            {
                var at = 0;
                for (var i = 0; i < items.Count; i++)
                {
                    if (leadingComma || i > 0)
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
