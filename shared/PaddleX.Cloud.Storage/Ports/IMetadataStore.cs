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
}
