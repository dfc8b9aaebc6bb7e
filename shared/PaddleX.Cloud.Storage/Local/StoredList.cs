using System.Collections;
using Google.Protobuf;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>The stored values of one kind (kept as <see cref="IMessage"/>) seen as their type,
/// without copying the list.</summary>
internal sealed class StoredList<T>(IMessage[] items) : IReadOnlyList<T>
    where T : class
{
    public int Count => items.Length;

    public T this[int index] => (T)items[index];

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < items.Length; i++)
        {
            yield return (T)items[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
