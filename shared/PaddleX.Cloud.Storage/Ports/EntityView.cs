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
    /// the same immutable <paramref name="version"/> (its collection of stored values).</summary>
    public IReadOnlyList<TView> ListOfStored(object version, IEnumerable<T> stored)
    {
        var memo = Volatile.Read(ref last);
        if (memo is not null && ReferenceEquals(memo.Version, version))
        {
            return memo.Views;
        }

        var views = stored.Select(OfStored).ToArray();
        Volatile.Write(ref last, new Memo(version, views));
        return views;
    }

    private sealed record Memo(object Version, IReadOnlyList<TView> Views);
}
