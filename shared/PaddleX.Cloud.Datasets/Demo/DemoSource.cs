using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Datasets.Demo;

/// <summary>Fetches a demo archive from the configured <see cref="DemoOptions.Source"/> into a
/// local file, counting bytes against <see cref="DemoOptions.MaxArchiveBytes"/>. "Unavailable"
/// (no source, nothing there, network failure) means: generate the built-in demo instead; an
/// archive that is there but too large is refused.</summary>
public sealed class DemoSource(DemoOptions options, IArtifactStore artifacts, HttpClient? http = null)
{
    private const string BlobScheme = "blob:";

    /// <summary>Result of a fetch: the local archive, or why none could be had.</summary>
    public sealed record Fetched(string? Path, string Origin, string? Unavailable);

    /// <param name="progress">Percentage of the declared length downloaded so far (0 when unknown).</param>
    public async Task<Fetched> FetchAsync(DemoEntry demo, string destination, Action<double, long> progress, CancellationToken cancellation)
    {
        var source = options.Source?.Trim();
        if (string.IsNullOrEmpty(source))
        {
            return new(null, string.Empty, "no demo source configured");
        }

        var origin = source.TrimEnd('/') + "/" + demo.ArchiveFile;
        try
        {
            if (source.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                return await DownloadAsync(new Uri(origin), destination, progress, cancellation);
            }

            if (source.StartsWith(BlobScheme, StringComparison.Ordinal))
            {
                var path = source[BlobScheme.Length..].Trim('/') is { Length: > 0 } prefix ? $"{prefix}/{demo.ArchiveFile}" : demo.ArchiveFile;
                if (!await artifacts.ExistsAsync(path, cancellation))
                {
                    return new(null, origin, $"{origin} not found");
                }

                await using var blob = await artifacts.OpenReadAsync(path, cancellation);
                return await CopyAsync(blob, null, origin, destination, progress, cancellation);
            }

            var file = Path.Combine(Path.GetFullPath(source), demo.ArchiveFile);
            if (!File.Exists(file))
            {
                return new(null, file, $"{file} not found");
            }

            await using var local = File.OpenRead(file);
            return await CopyAsync(local, local.Length, file, destination, progress, cancellation);
        }
        catch (Exception failure) when (failure is HttpRequestException or IOException or UnauthorizedAccessException or UriFormatException
            || (failure is TaskCanceledException && !cancellation.IsCancellationRequested))
        {
            return new(null, origin, $"{origin}: {failure.Message}");
        }
    }

    private async Task<Fetched> DownloadAsync(Uri uri, string destination, Action<double, long> progress, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(options.Timeout);
        var client = http ?? Shared;
        using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            return new(null, uri.ToString(), $"{uri}: HTTP {(int)response.StatusCode}");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellation);
        return await CopyAsync(body, response.Content.Headers.ContentLength, uri.ToString(), destination, progress, cancellation);
    }

    private async Task<Fetched> CopyAsync(Stream input, long? declared, string origin, string destination, Action<double, long> progress, CancellationToken cancellation)
    {
        if (declared > options.MaxArchiveBytes)
        {
            throw TooLarge(origin);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        await using var output = File.Create(destination);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await input.ReadAsync(buffer, cancellation)) > 0)
        {
            total += read;
            if (total > options.MaxArchiveBytes)
            {
                throw TooLarge(origin);
            }

            await output.WriteAsync(buffer.AsMemory(0, read), cancellation);
            progress(declared is > 0 ? Math.Min(100.0, 100.0 * total / declared.Value) : 0, declared ?? 0);
        }

        return new(destination, origin, null);
    }

    private DatasetCheckException TooLarge(string origin) =>
        new($"示例数据集压缩包{origin}超过{options.MaxArchiveBytes}字节 (demo archive larger than {options.MaxArchiveBytes} bytes)", DatasetCheckException.ArchiveTooLarge);

    private static readonly HttpClient Shared = new() { Timeout = Timeout.InfiniteTimeSpan };
}
