using System.Collections.Immutable;
using Google.Protobuf;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>The entities of one kind and the highest id number ever given out. Immutable: a change
/// makes a new table sharing all untouched entities, and stored entities are never changed in place.</summary>
internal sealed record EntityTable(ImmutableSortedDictionary<string, IMessage> Items, int MaxId)
{
    public EntityTable Put(string id, IMessage entity, int maxId) => new(Items.SetItem(id, entity), Math.Max(MaxId, maxId));

    public EntityTable Remove(string id) => this with { Items = Items.Remove(id) };
}
