using System.Collections.Immutable;
using Google.Protobuf;
using Google.Protobuf.Collections;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>One entity kind of the workspace: its id prefix, its place in the <see cref="Workspace"/>
/// protobuf and its number in the journal.</summary>
internal abstract class EntityKind(int index, string prefix)
{
    public static readonly EntityKind<Dataset> Datasets = new(0, EntityIds.Dataset, Dataset.Parser, w => w.Datasets, w => w.MaxDatasetId, (w, n) => w.MaxDatasetId = n);
    public static readonly EntityKind<Project> Projects = new(1, EntityIds.Project, Project.Parser, w => w.Projects, w => w.MaxProjectId, (w, n) => w.MaxProjectId = n, p => p.Did);
    public static readonly EntityKind<Contracts.TaskInfo> Tasks = new(2, EntityIds.Task, Contracts.TaskInfo.Parser, w => w.Tasks, w => w.MaxTaskId, (w, n) => w.MaxTaskId = n, t => t.Pid);
    public static readonly EntityKind<PretrainedModel> PretrainedModels = new(3, EntityIds.PretrainedModel, PretrainedModel.Parser, w => w.PretrainedModels, w => w.MaxPretrainedModelId, (w, n) => w.MaxPretrainedModelId = n);
    public static readonly EntityKind<ExportedModel> ExportedModels = new(4, EntityIds.ExportedModel, ExportedModel.Parser, w => w.ExportedModels, w => w.MaxExportedModelId, (w, n) => w.MaxExportedModelId = n);

    public static readonly ImmutableArray<EntityKind> All = [Datasets, Projects, Tasks, PretrainedModels, ExportedModels];

    public int Index { get; } = index;

    public string Prefix { get; } = prefix;

    /// <summary>Ids in number order (D9999 before D10000), ties by text.</summary>
    public IComparer<string> Order { get; } = Comparer<string>.Create((a, b) =>
    {
        var byNumber = EntityIds.Parse(prefix, a).CompareTo(EntityIds.Parse(prefix, b));
        return byNumber != 0 ? byNumber : string.CompareOrdinal(a, b);
    });

    public abstract EntityTable Read(Workspace workspace);

    /// <summary>Puts the table into <paramref name="workspace"/> without copying the entities: the
    /// workspace is only serialized, never changed, while it shares them.</summary>
    public abstract void Write(EntityTable table, Workspace workspace);

    public abstract IMessage Parse(ReadOnlySpan<byte> bytes);

    /// <summary>Whether entities of this kind belong to an owner that readers list them by
    /// (<see cref="OwnerIndex"/>).</summary>
    public abstract bool HasOwner { get; }

    /// <summary>The id of the entity's owner; null for a kind without one.</summary>
    public abstract string? OwnerOf(IMessage entity);
}

internal sealed class EntityKind<T>(
    int index,
    string prefix,
    MessageParser<T> parser,
    Func<Workspace, MapField<string, T>> map,
    Func<Workspace, int> getMax,
    Action<Workspace, int> setMax,
    Func<T, string>? owner = null) : EntityKind(index, prefix)
    where T : class, IMessage<T>
{
    public override EntityTable Read(Workspace workspace)
    {
        var items = ImmutableSortedDictionary.CreateBuilder<string, IMessage>(Order);
        foreach (var (id, entity) in map(workspace))
        {
            items[id] = entity;
        }

        return new EntityTable(items.ToImmutable(), getMax(workspace));
    }

    public override void Write(EntityTable table, Workspace workspace)
    {
        var target = map(workspace);
        foreach (var (id, entity) in table.Items)
        {
            target.Add(id, (T)entity);
        }

        setMax(workspace, table.MaxId);
    }

    public override IMessage Parse(ReadOnlySpan<byte> bytes) => parser.ParseFrom(bytes);

    public override bool HasOwner => owner is not null;

    public override string? OwnerOf(IMessage entity) => owner?.Invoke((T)entity);
}
