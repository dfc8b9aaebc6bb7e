using System.Runtime.CompilerServices;

namespace PaddleX.Cloud.Storage.Ports;

/// <summary>A projection of one entity (for example the serialized JSON of one list item) that an
/// adapter may keep for as long as the stored entity does not change, so listing a large set costs
/// only the entities changed since the last listing. The projection must depend on nothing but the
/// entity and what it captured when the view was made, and must not change the entity it is given.</summary>
public sealed class EntityView<T, TView>
    where T : class
    where TView : class
{
    private readonly Func<T, TView> project;
    private readonly ConditionalWeakTable<T, TView> byStoredValue = new();
    private readonly ConditionalWeakTable<T, TView>.CreateValueCallback create;
    private readonly ConditionalWeakTable<object, TView[]> byChunk = new();
    private Memo? last;

    public EntityView(Func<T, TView> project)
    {
        this.project = project;
        create = project.Invoke;
    }

    /// <summary>The view of a value that is not kept (a copy): computed every time.</summary>
    public TView Of(T entity) => project(entity);

    /// <summary>The view of a stored value that is never changed in place: an update stores a new
    /// instance, so the instance identifies the version and its view is computed once.</summary>
    public TView OfStored(T stored) => byStoredValue.GetValue(stored, create);

    /// <summary>The views of <paramref name="stored"/>, reused as a whole while the adapter passes
    /// the same immutable <paramref name="version"/> (its collection of stored values). A
    /// <see cref="ChunkedList{T}"/> gets a chunked list of views, one array per stored chunk, kept
    /// for as long as that chunk lives: a listing after a few changes costs the changed chunks and
    /// one look-up per chunk, and allocates no array the size of the list. Any other list is walked
    /// beside the last one: an entry that is the same stored value as its counterpart there takes
    /// its view by a reference comparison, the rest (the changed entries) by their instance.</summary>
    public IReadOnlyList<TView> ListOfStored(object version, IReadOnlyList<T> stored) => ListOfStored(version, () => stored);

    /// <summary>As <see cref="ListOfStored(object, IReadOnlyList{T})"/>, asking for the stored list
    /// only when <paramref name="version"/> is not the one listed last.</summary>
    public IReadOnlyList<TView> ListOfStored(object version, Func<IReadOnlyList<T>> listStored)
    {
        ArgumentNullException.ThrowIfNull(listStored);
        var memo = Volatile.Read(ref last);
        if (memo is not null && ReferenceEquals(memo.Version, version))
        {
            return memo.Views;
        }

        var stored = listStored();

        IReadOnlyList<TView> views = stored is ChunkedList<T> chunked
            ? ViewsByChunk(chunked)
            : memo is null || memo.Views is not TView[] viewsBefore ? [.. stored.Select(OfStored)] : Merge(stored, memo.Stored, viewsBefore);
        Volatile.Write(ref last, new Memo(version, stored, views));
        return views;
    }

    private ChunkedList<TView> ViewsByChunk(ChunkedList<T> stored)
    {
        var chunks = new ListChunk<TView>[stored.Chunks.Count];
        for (var c = 0; c < chunks.Length; c++)
        {
            var (key, items) = stored.Chunks[c];
            var views = byChunk.TryGetValue(key, out var made) ? made : MakeViews(key, items);
            chunks[c] = new ListChunk<TView>(views, views);
        }

        return new ChunkedList<TView>(chunks);
    }

    /// <summary>The views of a chunk not seen before. A method of its own so that the callback's
    /// closure is allocated only here, not for every chunk a listing finds ready.</summary>
    private TView[] MakeViews(object key, IReadOnlyList<T> items) => byChunk.GetValue(key, _ => [.. items.Select(OfStored)]);

    /// <summary>Both lists are in the same order. A mismatch is a changed, an inserted or a removed
    /// entry; where the walk cannot tell, it still gives every entry its right view (by instance).</summary>
    private TView[] Merge(IReadOnlyList<T> stored, IReadOnlyList<T> before, TView[] viewsBefore)
    {
        var views = new TView[stored.Count];
        var j = 0;
        for (var i = 0; i < stored.Count; i++)
        {
            var item = stored[i];
            if (j < before.Count && !ReferenceEquals(item, before[j]) && j + 1 < before.Count && ReferenceEquals(item, before[j + 1]))
            {
                j++; // before[j] was removed
            }

            if (j < before.Count && ReferenceEquals(item, before[j]))
            {
                views[i] = viewsBefore[j++];
                continue;
            }

            views[i] = OfStored(item);
            var inserted = i + 1 < stored.Count && j < before.Count && ReferenceEquals(stored[i + 1], before[j]);
            if (!inserted)
            {
                j++; // changed in place
            }
        }

        return views;
    }

    private sealed record Memo(object Version, IReadOnlyList<T> Stored, IReadOnlyList<TView> Views);
}
