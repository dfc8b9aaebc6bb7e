using System.Collections.Immutable;
using Google.Protobuf;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>The ids of one kind's entities by their owner's id (projects by dataset, tasks by project),
/// so "the projects of this dataset" costs O(its answer) rather than a scan of every project. Immutable
/// like the tables it follows; never persisted: built from the snapshot on load and kept current by
/// every applied journal record, so it is exactly as durable as the entities themselves.</summary>
internal sealed class OwnerIndex(ImmutableDictionary<string, ImmutableSortedSet<string>> owned, IComparer<string> order)
{
    public static OwnerIndex Build(EntityTable table, EntityKind kind)
    {
        var owned = new Dictionary<string, ImmutableSortedSet<string>.Builder>(StringComparer.Ordinal);
        foreach (var (id, entity) in table.Items)
        {
            var owner = kind.OwnerOf(entity)!;
            if (!owned.TryGetValue(owner, out var ids))
            {
                owned[owner] = ids = ImmutableSortedSet.CreateBuilder(kind.Order);
            }

            ids.Add(id);
        }

        return new OwnerIndex(owned.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutable(), StringComparer.Ordinal), kind.Order);
    }

    /// <summary>The ids owned by <paramref name="owner"/>, in id order.</summary>
    public ImmutableSortedSet<string> Of(string owner) =>
        owned.TryGetValue(owner, out var ids) ? ids : ImmutableSortedSet.Create(order);

    /// <summary>This index after entity <paramref name="id"/> went from <paramref name="before"/> to
    /// <paramref name="after"/> (either null when it did not exist).</summary>
    public OwnerIndex Change(string id, string? before, string? after)
    {
        if (before == after)
        {
            return this;
        }

        var next = owned;
        if (before is not null)
        {
            var rest = Of(before).Remove(id);
            next = rest.IsEmpty ? next.Remove(before) : next.SetItem(before, rest);
        }

        if (after is not null)
        {
            next = next.SetItem(after, Of(after).Add(id));
        }

        return new OwnerIndex(next, order);
    }
}
