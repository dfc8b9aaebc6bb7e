using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace PaddleX.Cloud.Api.Http;

/// <summary>A request body read at most once and never past a limit: the bytes of a JSON or
/// url-encoded body. Multipart bodies are not read here but streamed (<see cref="MultipartForm"/>).</summary>
internal sealed class RequestBody(HttpRequest request)
{
    /// <summary>Form fields: as many as an HTML form plausibly has, keys as long as ASP.NET's default.</summary>
    public const int MaxFields = 1024;
    public const int MaxKeyLength = 2048;

    /// <summary>What is parsed from client text: duplicate keys are refused (the last or the first
    /// winning would let two readers of the same body disagree), nesting is bounded.</summary>
    public static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Bodies up to this declared length are read into one array of that size.</summary>
    private const int ExactReadBytes = 64 * 1024;

    private byte[]? bytes;

    public bool IsMultipart => IsMultipartType(request.ContentType);

    public bool IsUrlEncodedForm => request.HasFormContentType && !IsMultipartType(request.ContentType);

    /// <summary>The body, or null when it is longer than <paramref name="limit"/> (nothing past the
    /// limit is read).</summary>
    public async Task<byte[]?> TryReadAsync(long limit)
    {
        if (bytes is not null)
        {
            return bytes.Length <= limit ? bytes : null;
        }

        if (request.ContentLength > limit)
        {
            return null;
        }

        if (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            bytes = [];
            return bytes;
        }

        if (request.ContentLength is { } declared and <= ExactReadBytes)
        {
            // The web server ends the body at the declared length: read straight into its array
            // (only a small one: a declared length costs nothing to send, memory follows the bytes).
            var exact = new byte[declared];
            var at = 0;
            int count;
            while (at < exact.Length && (count = await request.Body.ReadAsync(exact.AsMemory(at), request.HttpContext.RequestAborted)) > 0)
            {
                at += count;
            }

            bytes = at == exact.Length ? exact : exact[..at];
            return bytes;
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        bytes = buffer.ToArray();
        return bytes;
    }

    /// <summary>As <see cref="TryReadAsync"/>, a body over the limit being a 413.</summary>
    public async Task<byte[]> ReadAsync(long limit) =>
        await TryReadAsync(limit) ?? throw TooLarge(limit);

    public static ApiException TooLarge(long limit) =>
        new(ErrorCodes.BodyTooLarge, $"请求体超过{limit}字节 (body larger than {limit} bytes)", StatusCodes.Status413PayloadTooLarge);

    /// <summary>The JSON value of a body (null for an empty or blank one); malformed text is a 400.</summary>
    public static JsonNode? ParseJson(byte[] body)
    {
        if (body.Length == 0 || body.AsSpan().IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            return null;
        }

        try
        {
            _ = StrictUtf8.GetCharCount(body);
            return JsonNode.Parse(body, documentOptions: JsonOptions);
        }
        catch (Exception failure) when (failure is JsonException or DecoderFallbackException)
        {
            throw new ApiException(ErrorCodes.MalformedJson, "请求体不是合法的JSON (the request body is not valid JSON; duplicate keys are refused)", StatusCodes.Status400BadRequest);
        }
    }

    /// <summary>The fields of an url-encoded form; too many or too long keys, or NUL characters, are a 400.</summary>
    public static Dictionary<string, StringValues> ParseForm(byte[] body)
    {
        try
        {
            using var reader = new FormReader(new MemoryStream(body), Encoding.UTF8)
            {
                ValueCountLimit = MaxFields,
                KeyLengthLimit = MaxKeyLength,
                ValueLengthLimit = int.MaxValue,
            };
            return reader.ReadForm();
        }
        catch (InvalidDataException failure)
        {
            throw MalformedForm(failure.Message);
        }
    }

    public static ApiException MalformedForm(string reason) =>
        new(ErrorCodes.MalformedForm, $"表单格式错误 (malformed form body: {reason})", StatusCodes.Status400BadRequest);

    private static bool IsMultipartType(string? contentType) =>
        contentType is not null && contentType.TrimStart().StartsWith("multipart/", StringComparison.OrdinalIgnoreCase);
}
