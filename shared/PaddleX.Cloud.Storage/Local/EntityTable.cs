using System.Collections.Immutable;
using Google.Protobuf;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>The entities of one kind and the highest id number ever given out. Immutable: a change
/// makes a new table sharing all untouched entities, and stored entities are never changed in place.</summary>
internal sealed class EntityTable(ImmutableSortedDictionary<string, IMessage> items, int maxId)
{
    private IMessage[]? ordered;

    public ImmutableSortedDictionary<string, IMessage> Items { get; } = items;

    public int MaxId { get; } = maxId;

    /// <summary>The entities in id order as a flat array, made once per version on first use: scanning
    /// it is several times cheaper than walking the tree, and many reads share one version.</summary>
    public IReadOnlyList<IMessage> Ordered => ordered ??= [.. Items.Values];

    public EntityTable Put(string id, IMessage entity, int maxId) => new(Items.SetItem(id, entity), Math.Max(MaxId, maxId));

    public EntityTable Remove(string id, int maxId) => new(Items.Remove(id), Math.Max(MaxId, maxId));
}
