using Google.Protobuf;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>The entities of one table version in id order, as chunks of keys and values (each at
/// most <see cref="MaxChunk"/> long, never empty, never changed once made). A change copies the one
/// chunk it falls in and the small arrays of chunks, not the whole list: a table of 20,000 entities
/// held as one array would put a 160 KB array on the large-object heap for every version listed,
/// and those arrays were the main cause of full garbage collections under a stream of changes.</summary>
internal sealed class ChunkedEntities
{
    /// <summary>Chunk length when made from scratch; a chunk that grows past <see cref="MaxChunk"/>
    /// is split in two.</summary>
    internal const int ChunkSize = 64;

    internal const int MaxChunk = 2 * ChunkSize;

    private readonly string[][] keys;
    private readonly IMessage[][] values;

    private ChunkedEntities(string[][] keys, IMessage[][] values)
    {
        this.keys = keys;
        this.values = values;
        foreach (var chunk in values)
        {
            Count += chunk.Length;
        }
    }

    public int Count { get; }

    /// <summary>The value chunks in order; the same array instance in every version that did not
    /// change that chunk.</summary>
    public IReadOnlyList<IMessage[]> Chunks => values;

    public static ChunkedEntities From(IEnumerable<KeyValuePair<string, IMessage>> ordered)
    {
        var keys = new List<string[]>();
        var values = new List<IMessage[]>();
        var (keyChunk, valueChunk) = (new List<string>(ChunkSize), new List<IMessage>(ChunkSize));
        foreach (var (key, value) in ordered)
        {
            keyChunk.Add(key);
            valueChunk.Add(value);
            if (keyChunk.Count == ChunkSize)
            {
                keys.Add([.. keyChunk]);
                values.Add([.. valueChunk]);
                keyChunk.Clear();
                valueChunk.Clear();
            }
        }

        if (keyChunk.Count > 0)
        {
            keys.Add([.. keyChunk]);
            values.Add([.. valueChunk]);
        }

        return new ChunkedEntities([.. keys], [.. values]);
    }

    /// <summary>This list with <paramref name="id"/> set to <paramref name="value"/>, inserted in
    /// order, or removed (null).</summary>
    public ChunkedEntities With(string id, IMessage? value, IComparer<string> order)
    {
        if (values.Length == 0)
        {
            return value is null ? this : new([[id]], [[value]]);
        }

        var c = ChunkOf(id, order);
        var at = Array.BinarySearch(keys[c], id, order);
        if (at >= 0)
        {
            if (value is not null)
            {
                var changed = (IMessage[])values[c].Clone();
                changed[at] = value;
                return new(keys, Replaced(values, c, [changed]));
            }

            return values[c].Length == 1
                ? new(Replaced(keys, c, []), Replaced(values, c, []))
                : new(Replaced(keys, c, [Removed(keys[c], at)]), Replaced(values, c, [Removed(values[c], at)]));
        }

        if (value is null)
        {
            return this;
        }

        var (newKeys, newValues) = (Inserted(keys[c], ~at, id), Inserted(values[c], ~at, value));
        if (newKeys.Length <= MaxChunk)
        {
            return new(Replaced(keys, c, [newKeys]), Replaced(values, c, [newValues]));
        }

        var half = newKeys.Length / 2;
        return new(Replaced(keys, c, [newKeys[..half], newKeys[half..]]), Replaced(values, c, [newValues[..half], newValues[half..]]));
    }

    /// <summary>The last chunk whose first key is not after <paramref name="id"/> (the first chunk
    /// when every key is after it).</summary>
    private int ChunkOf(string id, IComparer<string> order)
    {
        var (low, high) = (0, keys.Length - 1);
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (order.Compare(keys[middle][0], id) <= 0)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    /// <summary>A copy of <paramref name="chunks"/> with the chunk at <paramref name="at"/> replaced
    /// by <paramref name="replacement"/> (none, one or two chunks).</summary>
    private static TItem[][] Replaced<TItem>(TItem[][] chunks, int at, TItem[][] replacement)
    {
        var result = new TItem[chunks.Length - 1 + replacement.Length][];
        Array.Copy(chunks, result, at);
        replacement.CopyTo(result, at);
        Array.Copy(chunks, at + 1, result, at + replacement.Length, chunks.Length - at - 1);
        return result;
    }

    private static TItem[] Inserted<TItem>(TItem[] items, int at, TItem item)
    {
        var result = new TItem[items.Length + 1];
        Array.Copy(items, result, at);
        result[at] = item;
        Array.Copy(items, at, result, at + 1, items.Length - at);
        return result;
    }

    private static TItem[] Removed<TItem>(TItem[] items, int at)
    {
        var result = new TItem[items.Length - 1];
        Array.Copy(items, result, at);
        Array.Copy(items, at + 1, result, at, result.Length - at);
        return result;
    }
}
