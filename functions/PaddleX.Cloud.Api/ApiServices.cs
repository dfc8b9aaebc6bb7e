using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api;

/// <summary>The services a handler may use, in one object so handler signatures stay short.</summary>
public sealed class ApiServices(
    IMetadataStore metadata,
    IArtifactStore artifacts,
    IJobQueue jobs,
    IMachineInfo machine,
    ApiOptions options,
    TimeProvider clock,
    ILoggerFactory loggers,
    IAnnotationRenderer renderer)
{
    public IMetadataStore Metadata { get; } = metadata;

    public IArtifactStore Artifacts { get; } = artifacts;

    public IJobQueue Jobs { get; } = jobs;

    public IMachineInfo Machine { get; } = machine;

    public ApiOptions Options { get; } = options;

    public TimeProvider Clock { get; } = clock;

    public ILoggerFactory Loggers { get; } = loggers;

    /// <summary>Draws a dataset picture with its annotation (<c>/file?did=</c>).</summary>
    public IAnnotationRenderer Renderer { get; } = renderer;
}
