using System.Collections.Immutable;
using Google.Protobuf;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>The entities of one kind and the highest id number ever given out. Immutable: a change
/// makes a new table sharing all untouched entities, and stored entities are never changed in place.</summary>
internal sealed class EntityTable
{
    /// <summary>How many unread versions a table may lie behind the last one whose chunks were made
    /// before it makes its own by walking the tree: each link keeps an older version alive.</summary>
    private const int MaxChangesBehind = 64;

    private readonly object orderedLock = new();
    private ChunkedEntities? ordered;

    // The version this one was made from by one change, while its chunks are not made yet: they are
    // then the parent's with that change applied, one chunk copied instead of a tree walk.
    private EntityTable? parent;
    private readonly string? changedId;
    private readonly int changesBehind;

    public EntityTable(ImmutableSortedDictionary<string, IMessage> items, int maxId)
    {
        Items = items;
        MaxId = maxId;
    }

    private EntityTable(ImmutableSortedDictionary<string, IMessage> items, int maxId, EntityTable parent, string changedId)
        : this(items, maxId)
    {
        var behind = parent.Made() is null ? parent.changesBehind + 1 : 1;
        if (behind <= MaxChangesBehind)
        {
            this.parent = parent;
            this.changedId = changedId;
            changesBehind = behind;
        }
    }

    public ImmutableSortedDictionary<string, IMessage> Items { get; }

    public int MaxId { get; }

    /// <summary>The entities in id order as chunks (<see cref="ChunkedEntities"/>), made once per
    /// version on first use (readers that arrive meanwhile wait for it rather than make their own):
    /// scanning them is several times cheaper than walking the tree, and many reads share one
    /// version. Under a stream of changes each version's chunks are its parent's with the one chunk
    /// holding the change copied.</summary>
    public ChunkedEntities Ordered => Made() ?? MakeOrdered();

    public EntityTable Put(string id, IMessage entity, int maxId) => new(Items.SetItem(id, entity), Math.Max(MaxId, maxId), this, id);

    public EntityTable Remove(string id, int maxId) => new(Items.Remove(id), Math.Max(MaxId, maxId), this, id);

    private ChunkedEntities MakeOrdered()
    {
        lock (orderedLock)
        {
            if (ordered is { } done)
            {
                return done;
            }

            var made = parent is null
                ? ChunkedEntities.From(Items)
                : (parent.Made() ?? parent.MakeOrdered()).With(changedId!, Items.GetValueOrDefault(changedId!), Items.KeyComparer);
            Volatile.Write(ref ordered, made);
            parent = null; // the older version may go now
            return made;
        }
    }

    private ChunkedEntities? Made() => Volatile.Read(ref ordered);
}
