using Google.Protobuf;
using Google.Protobuf.Collections;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Local;

internal sealed class LocalEntitySet<T>(
    LocalMetadataStore store,
    string prefix,
    Func<Workspace, MapField<string, T>> map,
    Func<Workspace, int> getMax,
    Action<Workspace, int> setMax) : IEntitySet<T>
    where T : class, IMessage<T>
{
    public ValueTask<T?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(map(store.Snapshot).TryGetValue(id, out var value) ? value.Clone() : null);

    public ValueTask<IReadOnlyList<T>> ListAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<T> list = map(store.Snapshot)
            .OrderBy(pair => EntityIds.Parse(prefix, pair.Key))
            .ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => pair.Value.Clone())
            .ToList();
        return ValueTask.FromResult(list);
    }

    public ValueTask<T> CreateAsync(Func<string, T> build, CancellationToken cancellationToken = default) =>
        store.ChangeAsync(
            workspace =>
            {
                var entities = map(workspace);
                var number = getMax(workspace) + 1;
                var id = EntityIds.Format(prefix, number);
                while (entities.ContainsKey(id))
                {
                    id = EntityIds.Format(prefix, ++number);
                }

                var entity = build(id);
                entities[id] = entity;
                setMax(workspace, number);
                return (true, entity.Clone());
            },
            cancellationToken);

    public ValueTask<T?> UpdateAsync(string id, Action<T> mutate, CancellationToken cancellationToken = default) =>
        store.ChangeAsync<T?>(
            workspace =>
            {
                if (!map(workspace).TryGetValue(id, out var entity))
                {
                    return (false, null);
                }

                mutate(entity);
                return (true, entity.Clone());
            },
            cancellationToken);

    public ValueTask<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        store.ChangeAsync(
            workspace =>
            {
                var removed = map(workspace).Remove(id);
                return (removed, removed);
            },
            cancellationToken);
}
