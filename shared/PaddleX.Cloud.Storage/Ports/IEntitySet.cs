using Google.Protobuf;

namespace PaddleX.Cloud.Storage.Ports;

/// <summary>One kind of entity, keyed by its id (D0001, P0001, T0001, PM0001, EM0001).</summary>
/// <remarks>Every value handed out is a copy: changing it changes nothing until it goes through
/// <see cref="UpdateAsync"/>.</remarks>
public interface IEntitySet<T>
    where T : class, IMessage<T>
{
    ValueTask<T?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>All entities, ordered by id.</summary>
    ValueTask<IReadOnlyList<T>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>The entities for which <paramref name="match"/> is true, ordered by id. Only the
    /// matches are copied; <paramref name="match"/> may see the stored value and must not change it.</summary>
    async ValueTask<IReadOnlyList<T>> FindAllAsync(Func<T, bool> match, CancellationToken cancellationToken = default) =>
        (await ListAsync(cancellationToken)).Where(match).ToList();

    /// <summary>Every entity through <paramref name="view"/>, ordered by id. An adapter that keeps
    /// immutable stored values reuses the view of every entity unchanged since the last call.</summary>
    async ValueTask<IReadOnlyList<TView>> ListViewsAsync<TView>(EntityView<T, TView> view, CancellationToken cancellationToken = default)
        where TView : class =>
        (await ListAsync(cancellationToken)).Select(view.Of).ToList();

    /// <summary>Allocates the next id and stores <paramref name="build"/>(id) as one atomic step.
    /// When <paramref name="build"/> throws, nothing is stored and the id is not consumed.
    /// Ids are never reused, also after a delete. <paramref name="build"/> may run more than once
    /// (with a later id) when another process allocates at the same moment, so it must not have
    /// side effects beyond building the value.</summary>
    ValueTask<T> CreateAsync(Func<string, T> build, CancellationToken cancellationToken = default);

    /// <summary>Applies <paramref name="mutate"/> to the current value and stores it, retrying on a
    /// concurrent change. Returns the stored value, or null when the id does not exist. An exception
    /// from <paramref name="mutate"/> aborts the update and propagates.</summary>
    ValueTask<T?> UpdateAsync(string id, Action<T> mutate, CancellationToken cancellationToken = default);

    /// <summary>Returns false when the id does not exist.</summary>
    ValueTask<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);
}
