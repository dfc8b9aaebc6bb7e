using System.IO.Pipelines;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Connections;
using PaddleX.Cloud.Api.Http;

namespace PaddleX.Cloud.Server;

/// <summary>Gives the web server's own refusals (a malformed request line such as <c>%00</c> in the
/// path, oversized headers) the API's JSON shape. Kestrel answers those before any application code
/// runs, with an empty body that cannot be customised; this connection filter recognises exactly
/// such an answer on its way out (a 4xx/5xx status line, <c>Content-Length: 0</c>, no
/// <c>Content-Type</c>, written as the connection closes) and adds the body.</summary>
internal static class ProtocolErrorBodies
{
    public static ConnectionDelegate Use(ConnectionDelegate next) => async connection =>
    {
        var transport = connection.Transport;
        var output = new ProtocolErrorWriter(transport.Output);
        connection.Transport = new Duplex(transport.Input, output);
        try
        {
            await next(connection);
        }
        finally
        {
            // Kestrel completes the output it was given after writing its last answer; what that left
            // here reaches the transport, which Kestrel closes itself.
            output.Complete();
            await transport.Output.FlushAsync();
            connection.Transport = transport;
        }
    };

    /// <summary>The JSON answer for a bodiless refusal, or null when <paramref name="written"/> is not one.</summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        if (written.Length > 1024 || !written.StartsWith("HTTP/1.1 "u8) || !written.EndsWith("\r\n\r\n"u8) || written.Length < 12
            || written[9] is not ((byte)'4' or (byte)'5'))
        {
            return null;
        }

        var head = Encoding.ASCII.GetString(written);
        if (!head.Contains("\r\nContent-Length: 0\r\n", StringComparison.OrdinalIgnoreCase) || head.Contains("\r\nContent-Type:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var status = int.Parse(head.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        var (code, message) = status switch
        {
            414 => (ErrorCodes.UriTooLong, "请求地址过长 (request target too long)"),
            431 => (ErrorCodes.BadRequest, "请求头过大 (request headers too large)"),
            408 => (ErrorCodes.RequestTimeout, "请求超时 (request timed out)"),
            _ => (ErrorCodes.BadRequest, "请求格式错误 (malformed request line or headers)"),
        };
        var body = Encoding.UTF8.GetBytes(new JsonObject { ["status"] = -1, ["message"] = message, ["code"] = code }.ToJsonString(JsonReply.Options));
        var headers = head[..^2].Replace("Content-Length: 0\r\n", $"Content-Type: application/json; charset=utf-8\r\nContent-Length: {body.Length}\r\n", StringComparison.OrdinalIgnoreCase);
        return [.. Encoding.ASCII.GetBytes(headers + "\r\n"), .. body];
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
