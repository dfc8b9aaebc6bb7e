using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Datasets.Jobs;

/// <summary>The target state of every job kind, for hosts that reconcile jobs without running them (the API).</summary>
public static class JobTargets
{
    public static IReadOnlyList<IJobTarget> All(IMetadataStore metadata, IArtifactStore artifacts, TimeProvider clock) =>
    [
        TaskJobTarget.Train(metadata),
        TaskJobTarget.Evaluate(metadata),
        TaskJobTarget.Predict(metadata),
        TaskJobTarget.Export(metadata),
        new ImportJobTarget(metadata, clock),
        new DemoJobTarget(artifacts),
    ];
}
