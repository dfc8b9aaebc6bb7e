using System.Collections.Immutable;
using Google.Protobuf;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>The entities of one kind and the highest id number ever given out. Immutable: a change
/// makes a new table sharing all untouched entities, and stored entities are never changed in place.</summary>
internal sealed class EntityTable
{
    /// <summary>How many unread versions a table may lie behind the last one whose flat array was
    /// made before it makes its own by walking the tree: each link keeps an older version alive.</summary>
    private const int MaxChangesBehind = 8;

    private readonly object orderedLock = new();
    private Flat? ordered;

    // The version this one was made from by one change, while its flat array is not made yet: the
    // array is then the parent's with that change applied, an array copy instead of a tree walk.
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

    /// <summary>The entities in id order as a flat array, made once per version on first use (readers
    /// that arrive meanwhile wait for it rather than make their own): scanning it is several times
    /// cheaper than walking the tree, and many reads share one version. Under a stream of changes each
    /// version's array is its parent's with one entry replaced, inserted or removed.</summary>
    public IMessage[] Ordered => (Made() ?? MakeOrdered()).Values;

    public EntityTable Put(string id, IMessage entity, int maxId) => new(Items.SetItem(id, entity), Math.Max(MaxId, maxId), this, id);

    public EntityTable Remove(string id, int maxId) => new(Items.Remove(id), Math.Max(MaxId, maxId), this, id);

    private Flat MakeOrdered()
    {
        lock (orderedLock)
        {
            if (ordered is { } done)
            {
                return done;
            }

            var made = parent is null ? new Flat([.. Items.Keys], [.. Items.Values]) : FromParent(parent.Made() ?? parent.MakeOrdered());
            Volatile.Write(ref ordered, made);
            parent = null; // the older version may go now
            return made;
        }
    }

    private Flat? Made() => Volatile.Read(ref ordered);

    /// <summary>The parent's arrays with <see cref="changedId"/> set to its value here, or removed.</summary>
    private Flat FromParent(Flat before)
    {
        var id = changedId!;
        var at = Array.BinarySearch(before.Keys, id, Items.KeyComparer);
        var has = Items.TryGetValue(id, out var value);
        if (at >= 0 && has)
        {
            var values = (IMessage[])before.Values.Clone();
            values[at] = value!;
            return new Flat(before.Keys, values);
        }

        if (has)
        {
            return new Flat(Inserted(before.Keys, ~at, id), Inserted(before.Values, ~at, value!));
        }

        return at >= 0 ? new Flat(Removed(before.Keys, at), Removed(before.Values, at)) : before;
    }

    private static TItem[] Inserted<TItem>(TItem[] items, int at, TItem item)
    {
        var result = new TItem[items.Length + 1];
        Array.Copy(items, result, at);
        result[at] = item;
        Array.Copy(items, at, result, at + 1, items.Length - at);
        return result;
    }

    private static TItem[] Removed<TItem>(TItem[] items, int at)
    {
        var result = new TItem[items.Length - 1];
        Array.Copy(items, result, at);
        Array.Copy(items, at + 1, result, at, result.Length - at);
        return result;
    }

    /// <summary>Keys and values in key order; an update shares the keys of the version before.</summary>
    private sealed record Flat(string[] Keys, IMessage[] Values);
}
