using System.Collections;

namespace PaddleX.Cloud.Storage.Ports;

/// <summary>One chunk of a <see cref="ChunkedList{T}"/>: its items and the object that identifies
/// it. A chunk is never changed once made, so two lists holding the same <see cref="Key"/> hold
/// the same items, and whatever is derived from a chunk can be kept per key.</summary>
public readonly record struct ListChunk<T>(object Key, IReadOnlyList<T> Items);

/// <summary>A read-only list made of immutable, non-empty chunks. Versions of a list derived from
/// one another share every chunk a change did not touch, so a consumer that keeps something per
/// chunk (the views of its entities, its compressed bytes) redoes only the touched chunks, and no
/// version needs one large array.</summary>
public sealed class ChunkedList<T> : IReadOnlyList<T>
{
    private readonly ListChunk<T>[] chunks;
    private readonly int[] starts;

    public ChunkedList(ListChunk<T>[] chunks)
    {
        this.chunks = chunks;
        starts = new int[chunks.Length];
        var count = 0;
        for (var c = 0; c < chunks.Length; c++)
        {
            if (chunks[c].Items.Count == 0)
            {
                throw new ArgumentException("a chunk is empty", nameof(chunks));
            }

            starts[c] = count;
            count += chunks[c].Items.Count;
        }

        Count = count;
    }

    public IReadOnlyList<ListChunk<T>> Chunks => chunks;

    public int Count { get; }

    public T this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            var c = Array.BinarySearch(starts, index);
            c = c >= 0 ? c : ~c - 1;
            return chunks[c].Items[index - starts[c]];
        }
    }

    public IEnumerator<T> GetEnumerator()
    {
        foreach (var chunk in chunks)
        {
            for (var i = 0; i < chunk.Items.Count; i++)
            {
                yield return chunk.Items[i];
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
