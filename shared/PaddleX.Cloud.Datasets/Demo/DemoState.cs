using System.Text.Json;
using System.Text.Json.Serialization;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Datasets.Demo;

/// <summary>The download state of one demo (DownloadStatus value, message, progress), kept as a
/// small JSON file in the demo's workspace folder so the API and any worker share it through the
/// artifact store. The stop request is a separate file, so a progress write never loses it.</summary>
public sealed record DemoState
{
    [JsonPropertyName("status")]
    public int Status { get; init; }

    [JsonPropertyName("message")]
    public string Message { get; init; } = string.Empty;

    [JsonPropertyName("progress")]
    public double Progress { get; init; }

    [JsonPropertyName("job_id")]
    public string JobId { get; init; } = string.Empty;

    /// <summary>The queue delivery running the download (see JobFence).</summary>
    [JsonPropertyName("delivery")]
    public int Delivery { get; init; }

    public static async ValueTask<DemoState?> ReadAsync(IArtifactStore artifacts, DemoEntry demo, CancellationToken cancellation)
    {
        if (!await artifacts.ExistsAsync(demo.StatusFile, cancellation))
        {
            return null;
        }

        try
        {
            await using var stream = await artifacts.OpenReadAsync(demo.StatusFile, cancellation);
            return await JsonSerializer.DeserializeAsync<DemoState>(stream, cancellationToken: cancellation);
        }
        catch (Exception e) when (e is JsonException or FileNotFoundException)
        {
            return null;
        }
    }

    public async ValueTask WriteAsync(IArtifactStore artifacts, DemoEntry demo, CancellationToken cancellation)
    {
        using var content = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(this));
        await artifacts.WriteAsync(demo.StatusFile, content, cancellation);
    }

    /// <summary>The job id a stop was requested for, or null.</summary>
    public static async ValueTask<string?> StopRequestAsync(IArtifactStore artifacts, DemoEntry demo, CancellationToken cancellation)
    {
        if (!await artifacts.ExistsAsync(demo.StopFile, cancellation))
        {
            return null;
        }

        await using var stream = await artifacts.OpenReadAsync(demo.StopFile, cancellation);
        using var reader = new StreamReader(stream);
        return (await reader.ReadToEndAsync(cancellation)).Trim();
    }

    public static async ValueTask RequestStopAsync(IArtifactStore artifacts, DemoEntry demo, string jobId, CancellationToken cancellation)
    {
        using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(jobId));
        await artifacts.WriteAsync(demo.StopFile, content, cancellation);
    }
}
