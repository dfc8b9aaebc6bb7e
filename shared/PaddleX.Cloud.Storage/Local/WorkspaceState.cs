using System.Collections.Immutable;
using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>An immutable version of the whole workspace: one <see cref="EntityTable"/> per kind, and an
/// <see cref="OwnerIndex"/> per kind that has an owner. Readers take the current version without a
/// lock; a change makes the next version in O(log n).</summary>
internal sealed class WorkspaceState(string version, ImmutableArray<EntityTable> tables, ImmutableArray<OwnerIndex?> owners)
{
    public string Version { get; } = version;

    public EntityTable this[EntityKind kind] => tables[kind.Index];

    public static WorkspaceState From(Workspace workspace)
    {
        ImmutableArray<EntityTable> tables = [.. EntityKind.All.Select(kind => kind.Read(workspace))];
        return new(workspace.Version, tables, [.. EntityKind.All.Select(kind => kind.HasOwner ? OwnerIndex.Build(tables[kind.Index], kind) : null)]);
    }

    /// <summary>The ids of <paramref name="kind"/> owned by <paramref name="owner"/>, in id order.</summary>
    public ImmutableSortedSet<string> OwnedBy(EntityKind kind, string owner) =>
        owners[kind.Index]?.Of(owner) ?? throw new InvalidOperationException($"Entities with prefix {kind.Prefix} have no owner.");

    public WorkspaceState Apply(JournalRecord record)
    {
        var kind = EntityKind.All[record.Kind];
        var table = this[kind];
        var changed = record.Entity is null ? table.Remove(record.Id, record.MaxId) : table.Put(record.Id, record.Entity, record.MaxId);
        var index = owners[kind.Index];
        if (index is not null)
        {
            var before = table.Items.TryGetValue(record.Id, out var old) ? kind.OwnerOf(old) : null;
            var after = record.Entity is null ? null : kind.OwnerOf(record.Entity);
            index = index.Change(record.Id, before, after);
        }

        return new(Version, tables.SetItem(kind.Index, changed), owners.SetItem(kind.Index, index));
    }

    /// <summary>The <see cref="Workspace"/> protobuf of this version (the snapshot format), sharing
    /// the stored entities.</summary>
    public Workspace ToWorkspace(string path)
    {
        var workspace = new Workspace { Version = Version, Path = path };
        foreach (var kind in EntityKind.All)
        {
            kind.Write(this[kind], workspace);
        }

        return workspace;
    }
}
