using Google.Protobuf;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>One kind of <see cref="LocalMetadataStore"/>. Stored values are never changed in place:
/// an update stores a changed copy, and callers get copies.</summary>
internal sealed class LocalEntitySet<T>(LocalMetadataStore store, EntityKind kind) : IEntitySet<T>
    where T : class, IMessage<T>
{
    private ChunkedList<T> Stored => StoredList<T>.Of(store.Published[kind].Ordered);

    public ValueTask<T?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(store.Published[kind].Items.TryGetValue(id, out var value) ? ((T)value).Clone() : null);

    public ValueTask<IReadOnlyList<T>> ListAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<T>>(Stored.Select(e => e.Clone()).ToList());

    public ValueTask<IReadOnlyList<T>> FindAllAsync(Func<T, bool> match, CancellationToken cancellationToken = default)
    {
        // An indexed loop, not LINQ over an interface: "the projects of this dataset" scans every
        // project on each dataset read.
        var matches = new List<T>();
        foreach (var chunk in store.Published[kind].Ordered.Chunks)
        {
            for (var i = 0; i < chunk.Length; i++)
            {
                var stored = (T)chunk[i];
                if (match(stored))
                {
                    matches.Add(stored.Clone());
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<T>>(matches);
    }

    /// <summary>Copies of the entities owned by <paramref name="owner"/> (<see cref="OwnerIndex"/>), in id
    /// order, all from one version.</summary>
    internal IReadOnlyList<T> OwnedBy(string owner)
    {
        var state = store.Published;
        var items = state[kind].Items;
        return [.. state.OwnedBy(kind, owner).Select(id => ((T)items[id]).Clone())];
    }

    public ValueTask<IReadOnlyList<TView>> ListViewsAsync<TView>(EntityView<T, TView> view, CancellationToken cancellationToken = default)
        where TView : class
    {
        var table = store.Published[kind];
        return ValueTask.FromResult(view.ListOfStored(table, () => StoredList<T>.Of(table.Ordered)));
    }

    public ValueTask<T> CreateAsync(Func<string, T> build, CancellationToken cancellationToken = default) =>
        store.ChangeAsync(
            state =>
            {
                var table = state[kind];
                var number = table.MaxId + 1;
                var id = EntityIds.Format(kind.Prefix, number);
                while (table.Items.ContainsKey(id))
                {
                    id = EntityIds.Format(kind.Prefix, ++number);
                }

                var entity = build(id).Clone();
                return (new JournalRecord(kind.Index, id, number, entity), entity.Clone());
            },
            cancellationToken);

    public ValueTask<T?> UpdateAsync(string id, Action<T> mutate, CancellationToken cancellationToken = default) =>
        store.ChangeAsync<T?>(
            state =>
            {
                if (!state[kind].Items.TryGetValue(id, out var stored))
                {
                    return (null, null);
                }

                var entity = ((T)stored).Clone();
                mutate(entity);
                return (new JournalRecord(kind.Index, id, state[kind].MaxId, entity), entity.Clone());
            },
            cancellationToken);

    public ValueTask<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        store.ChangeAsync(
            state => state[kind].Items.ContainsKey(id)
                ? (new JournalRecord(kind.Index, id, state[kind].MaxId, null), true)
                : ((JournalRecord?)null, false),
            cancellationToken);
}
