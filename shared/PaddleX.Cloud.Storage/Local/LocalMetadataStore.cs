using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>Metadata kept as the <see cref="Workspace"/> protobuf in the workspace folder.
/// Each change is applied to a copy, written durably, and only then made visible.</summary>
public sealed class LocalMetadataStore : IMetadataStore
{
    private readonly WorkspaceFile file;
    private readonly SemaphoreSlim gate = new(1, 1);
    private Workspace current;

    public LocalMetadataStore(string workspaceDirectory)
    {
        Directory.CreateDirectory(workspaceDirectory);
        file = new WorkspaceFile(workspaceDirectory);
        current = file.Load();
        Datasets = new LocalEntitySet<Dataset>(this, EntityIds.Dataset, w => w.Datasets, w => w.MaxDatasetId, (w, n) => w.MaxDatasetId = n);
        Projects = new LocalEntitySet<Project>(this, EntityIds.Project, w => w.Projects, w => w.MaxProjectId, (w, n) => w.MaxProjectId = n);
        Tasks = new LocalEntitySet<Contracts.TaskInfo>(this, EntityIds.Task, w => w.Tasks, w => w.MaxTaskId, (w, n) => w.MaxTaskId = n);
        PretrainedModels = new LocalEntitySet<PretrainedModel>(this, EntityIds.PretrainedModel, w => w.PretrainedModels, w => w.MaxPretrainedModelId, (w, n) => w.MaxPretrainedModelId = n);
        ExportedModels = new LocalEntitySet<ExportedModel>(this, EntityIds.ExportedModel, w => w.ExportedModels, w => w.MaxExportedModelId, (w, n) => w.MaxExportedModelId = n);
    }

    public string WorkspaceId => "local";

    public IEntitySet<Dataset> Datasets { get; }

    public IEntitySet<Project> Projects { get; }

    public IEntitySet<Contracts.TaskInfo> Tasks { get; }

    public IEntitySet<PretrainedModel> PretrainedModels { get; }

    public IEntitySet<ExportedModel> ExportedModels { get; }

    internal Workspace Snapshot => Volatile.Read(ref current);

    /// <summary>Runs <paramref name="change"/> on a copy of the workspace; when it returns true the
    /// copy is saved and becomes current. An exception leaves the workspace untouched.</summary>
    internal async ValueTask<TResult> ChangeAsync<TResult>(Func<Workspace, (bool Changed, TResult Result)> change, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var copy = current.Clone();
            var (changed, result) = change(copy);
            if (changed)
            {
                file.Save(copy);
                Volatile.Write(ref current, copy);
            }

            return result;
        }
        finally
        {
            gate.Release();
        }
    }
}
