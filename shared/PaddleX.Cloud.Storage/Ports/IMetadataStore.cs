using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Storage.Ports;

/// <summary>Metadata of one workspace (tenant): its datasets, projects, tasks and models.</summary>
public interface IMetadataStore
{
    /// <summary>Identifies the workspace; the partition key in the cloud.</summary>
    string WorkspaceId { get; }

    IEntitySet<Dataset> Datasets { get; }

    IEntitySet<Contracts.TaskInfo> Tasks { get; }

    IEntitySet<Project> Projects { get; }

    IEntitySet<PretrainedModel> PretrainedModels { get; }

    IEntitySet<ExportedModel> ExportedModels { get; }

    /// <summary>The projects of dataset <paramref name="did"/>, ordered by id (copies, like every read).
    /// An adapter that can answer without looking at every project overrides this.</summary>
    ValueTask<IReadOnlyList<Project>> ProjectsOfDatasetAsync(string did, CancellationToken cancellationToken = default) =>
        Projects.FindAllAsync(p => p.Did == did, cancellationToken);

    /// <summary>The tasks of project <paramref name="pid"/>, ordered by id.</summary>
    ValueTask<IReadOnlyList<Contracts.TaskInfo>> TasksOfProjectAsync(string pid, CancellationToken cancellationToken = default) =>
        Tasks.FindAllAsync(t => t.Pid == pid, cancellationToken);
}
