using System.Collections.Immutable;
using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>An immutable version of the whole workspace: one <see cref="EntityTable"/> per kind.
/// Readers take the current version without a lock; a change makes the next version in O(log n).</summary>
internal sealed class WorkspaceState(string version, ImmutableArray<EntityTable> tables)
{
    public string Version { get; } = version;

    public EntityTable this[EntityKind kind] => tables[kind.Index];

    public static WorkspaceState From(Workspace workspace) =>
        new(workspace.Version, [.. EntityKind.All.Select(kind => kind.Read(workspace))]);

    public WorkspaceState With(EntityKind kind, EntityTable table) => new(Version, tables.SetItem(kind.Index, table));

    public WorkspaceState Apply(JournalRecord record)
    {
        var kind = EntityKind.All[record.Kind];
        var table = this[kind];
        return With(kind, record.Entity is null ? table.Remove(record.Id, record.MaxId) : table.Put(record.Id, record.Entity, record.MaxId));
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
