using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api.Http;

/// <summary>A multipart/form-data body read as it arrives: text fields become arguments, a file is
/// streamed by its handler straight to where it belongs. Nothing is held whole in memory or
/// spooled to a temporary file, and nothing is read before the caller is authorised.</summary>
public sealed class MultipartForm
{
    /// <summary>ASP.NET's own default; RFC 2046 asks for at most 70.</summary>
    public const int MaxBoundaryLength = 128;

    /// <summary>A text field (not a file) is at most this long: training parameters fit easily.</summary>
    public const int MaxFieldBytes = 1024 * 1024;

    private readonly MultipartReader reader;
    private MultipartSection? file;
    private int fields;

    private MultipartForm(MultipartReader reader) => this.reader = reader;

    /// <summary>The original name of the file part now waiting to be read, if any.</summary>
    public string? FileName { get; private set; }

    public bool HasFile => file is not null;

    internal static MultipartForm Open(HttpRequest request, long maxBodyBytes)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type))
        {
            throw RequestBody.MalformedForm("unreadable Content-Type");
        }

        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary))
        {
            throw RequestBody.MalformedForm("missing boundary");
        }

        if (boundary.Length > MaxBoundaryLength)
        {
            throw RequestBody.MalformedForm($"boundary longer than {MaxBoundaryLength} characters");
        }

        return new MultipartForm(new MultipartReader(boundary, request.Body) { BodyLengthLimit = maxBodyBytes, HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 });
    }

    /// <summary>Reads text fields into <paramref name="values"/> up to the next file part (or the end).</summary>
    internal async Task ReadFieldsAsync(JsonObject values, CancellationToken cancellationToken)
    {
        while (file is null && await NextAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
            {
                throw RequestBody.MalformedForm("a part without a valid Content-Disposition: form-data");
            }

            if (disposition.IsFileDisposition())
            {
                file = section;
                FileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? string.Empty;
                return;
            }

            var key = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty;
            if (key.Length > RequestBody.MaxKeyLength || ++fields > RequestBody.MaxFields)
            {
                throw RequestBody.MalformedForm($"more than {RequestBody.MaxFields} fields or a key longer than {RequestBody.MaxKeyLength} characters");
            }

            var value = await ReadFieldAsync(section, cancellationToken);
            values[key] = values[key] switch
            {
                null => value,
                JsonArray repeated => Append(repeated, value),
                var first => new JsonArray(first.DeepClone(), value),
            };
        }
    }

    /// <summary>Streams the waiting file part into <paramref name="path"/> of the artifact store; a
    /// truncated or malformed part is a 400 and leaves nothing behind.</summary>
    public async Task SaveFileAsync(IArtifactStore artifacts, string path, CancellationToken cancellationToken)
    {
        var section = file ?? throw ApiArgs.Missing("file");
        file = null;
        await using var content = new GuardedStream(section.Body);
        await artifacts.WriteAsync(path, content, cancellationToken);
    }

    /// <summary>The text fields after the file part, into <paramref name="values"/>.</summary>
    public Task ReadRemainingFieldsAsync(JsonObject values, CancellationToken cancellationToken) =>
        ReadFieldsAsync(values, cancellationToken);

    private async Task<MultipartSection?> NextAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (Exception failure) when (failure is InvalidDataException or IOException && failure is not BadHttpRequestException)
        {
            throw RequestBody.MalformedForm(failure.Message);
        }
    }

    private static async Task<JsonNode> ReadFieldAsync(MultipartSection section, CancellationToken cancellationToken)
    {
        await using var content = new GuardedStream(section.Body);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await content.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxFieldBytes)
            {
                throw RequestBody.MalformedForm($"a field longer than {MaxFieldBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        var text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        return JsonValue.Create(text);
    }

    private static JsonArray Append(JsonArray array, JsonNode value)
    {
        array.Add(value);
        return array;
    }

    /// <summary>The body of one part; failures of the multipart framing become 400s, while the
    /// web server's own (413, 408, a dropped connection) pass through unchanged.</summary>
    private sealed class GuardedStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception failure) when (failure is InvalidDataException or IOException && failure is not BadHttpRequestException)
            {
                throw RequestBody.MalformedForm(failure.Message);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
