using System.Collections;
using Google.Protobuf;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>The stored values of one chunk (kept as <see cref="IMessage"/>) seen as their type,
/// without copying them.</summary>
internal sealed class StoredList<T>(IMessage[] items) : IReadOnlyList<T>
    where T : class
{
    public int Count => items.Length;

    public T this[int index] => (T)items[index];

    /// <summary>A table version's entities as a list whose chunks are keyed by the stored chunk
    /// arrays, so views and bytes made per chunk follow the table from version to version.</summary>
    public static ChunkedList<T> Of(ChunkedEntities entities)
    {
        var chunks = new ListChunk<T>[entities.Chunks.Count];
        for (var c = 0; c < chunks.Length; c++)
        {
            var stored = entities.Chunks[c];
            chunks[c] = new ListChunk<T>(stored, new StoredList<T>(stored));
        }

        return new ChunkedList<T>(chunks);
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < items.Length; i++)
        {
            yield return (T)items[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
