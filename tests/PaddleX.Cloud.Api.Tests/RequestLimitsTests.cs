using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>With an API key, nothing is read before the key is checked: large bodies are refused
/// unread and memory stays flat. Key first, then route, method and size.</summary>
public sealed class UnauthenticatedBodyTests : ServerTestBase
{
    protected override string[] ServerArgs => ["--api_key", "s3cret"];

    [Fact]
    public async Task The_answer_comes_before_the_body_is_sent()
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, Server.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /dataset/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 419430400\r\n\r\n"));
        await stream.WriteAsync(new byte[1 << 20]);
        var (status, body) = await RawHttp.ReadResponseAsync(stream, TimeSpan.FromSeconds(15));
        Assert.Equal(401, status);
        Expect.Error(body, "unauthorized");
    }

    [Fact]
    public async Task The_key_is_checked_before_route_and_method_and_a_query_key_works_with_a_json_body()
    {
        var (status, reply) = await Api.SendAsync(HttpMethod.Get, "/no/such/route", null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Expect.Error(reply, "unauthorized");
        (status, reply) = await Api.SendAsync(HttpMethod.Patch, "/dataset", null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        (status, reply) = await Api.SendAsync(HttpMethod.Get, "/no/such/route?api_key=s3cret", null);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Expect.Error(reply, "route_not_found");
        (status, _) = await Api.SendAsync(HttpMethod.Patch, "/dataset?api_key=s3cret", null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);

        // Python requests with params= and json= together: the key in the query, the arguments in the body.
        var created = Expect.Ok(await Api.PostAsync("/dataset?api_key=s3cret", new { name = "a", dataset_type = "classification" }));
        Assert.Equal("D0001", created["did"]!.GetValue<string>());
        (status, _) = await Api.SendAsync(HttpMethod.Post, "/dataset?api_key=wrong", new { api_key = "s3cret", name = "b", dataset_type = "classification" });
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }
}

/// <summary>The web server's own protocol verdicts and malformed bodies answer with the JSON shape.</summary>
public sealed class ProtocolErrorTests : ServerTestBase
{
    public static TheoryData<string, string, int, string> Bodies() => new()
    {
        { "application/json", "{\"did\":\"D0001\",\"did\":\"D0002\"}", 400, "malformed_json" },
        { "application/json", "{\"name\":\"n\",\"dataset_type\":\"classification\",\"x\":{\"a\":1,\"a\":2}}", 400, "malformed_json" },
        { "multipart/form-data", "--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nn\r\n--x--\r\n", 400, "malformed_form" },
        { "multipart/form-data; boundary=abc", "--abc\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nn", 400, "malformed_form" },
        { "multipart/form-data; boundary=" + new string('b', 129), "--x--", 400, "malformed_form" },
        { "multipart/form-data; boundary=abc", "--abc\r\nContent-Disposition: nonsense\r\n\r\nn\r\n--abc--\r\n", 400, "malformed_form" },
        { "application/x-www-form-urlencoded", string.Join("&", Enumerable.Range(0, 1025).Select(i => $"k{i}=1")), 400, "malformed_form" },
        { "application/x-www-form-urlencoded", new string('k', 2049) + "=1", 400, "malformed_form" },
        { "application/x-www-form-urlencoded", "a=%00", 200, "missing_argument" },
        { "application/x-www-form-urlencoded", "name=%00&dataset_type=classification", 200, "invalid_argument" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Malformed_bodies_get_the_json_shape_and_change_nothing(string contentType, string body, int status, string code)
    {
        var before = await WorkspaceStateAsync();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dataset") { Content = content };
        var (httpStatus, reply) = await Api.SendAsync(request);
        Assert.Equal(status, (int)httpStatus);
        Expect.Error(reply, code);
        Assert.Equal(before, await WorkspaceStateAsync());
    }

    [Fact]
    public async Task A_nine_kilobyte_query_is_a_414_with_the_json_shape()
    {
        var (status, reply) = await Api.SendAsync(HttpMethod.Get, "/dataset?did=" + new string('a', 9 * 1024), null);
        Assert.Equal(HttpStatusCode.RequestUriTooLong, status);
        Expect.Error(reply, "uri_too_long");
    }

    [Theory]
    [InlineData("GET /dataset%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request")]
    [InlineData("GET /dataset HTTP/1.1\r\nHost: x\r\nX-Big: {0}\r\n\r\n", 431, "bad_request")]
    [InlineData("GET /dataset?x={1} HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long")]
    [InlineData("NOT-HTTP\r\n\r\n", 400, "bad_request")]
    public async Task Requests_the_web_server_refuses_itself_get_the_json_shape(string raw, int status, string code)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, Server.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, raw, new string('h', 40_000), new string('q', 80_000))));
        var (answered, body) = await RawHttp.ReadResponseAsync(stream, TimeSpan.FromSeconds(15));
        Assert.Equal(status, answered);
        Expect.Error(body, code);
    }

    [Fact]
    public async Task A_body_trickling_at_one_byte_a_second_gets_408_with_the_json_shape()
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, Server.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /dataset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"));
        using var trickle = new CancellationTokenSource();
        var sender = Task.Run(async () =>
        {
            try
            {
                while (!trickle.IsCancellationRequested)
                {
                    await stream.WriteAsync(" "u8.ToArray(), trickle.Token);
                    await Task.Delay(1000, trickle.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                // the server gave up on the body and closed the connection
            }
        });
        var (status, body) = await RawHttp.ReadResponseAsync(stream, TimeSpan.FromSeconds(30));
        await trickle.CancelAsync();
        await sender;
        Assert.Equal(408, status);
        Expect.Error(body, "request_timeout");
    }

    [Fact]
    public async Task Pretrain_weights_outside_the_catalog_and_the_workspace_are_refused_at_creation_and_update()
    {
        var (_, pid, tid) = await CreateTaskAsync();
        foreach (var weights in new[] { "PaddleX.Cloud.Server.dll", "appsettings.json", "../x.pth", "/etc/passwd", "weights.txt", "a b", "IMAGENET\0" })
        {
            var train = new JsonObject { ["pretrain_weights"] = weights }.ToJsonString();
            Expect.Error(await Api.PostAsync("/project/task", new { pid, train }), "invalid_argument");
            Expect.Error(await Api.PostAsync("/project/task/params", new { tid, train }), "invalid_argument");
        }

        foreach (var weights in new[] { "IMAGENET", "COCO", string.Empty, "PM0001", "T0001", "weights/model.pth", "exports/m" })
        {
            Expect.Ok(await Api.PostAsync("/project/task/params", new { tid, train = new JsonObject { ["pretrain_weights"] = weights }.ToJsonString() }));
        }
    }
}

/// <summary>The largest growth of this process's resident memory (the in-process server's) while it runs, in MB.</summary>
/// <summary>Memory under large bodies, measured on a server process of its own (an in-process server
/// shares its memory with every test running beside it in the test host).</summary>
public sealed class UploadMemoryTests : IDisposable
{
    private readonly string workspace = TempFolder.Create("upload-memory");

    public void Dispose() => Directory.Delete(workspace, recursive: true);

    private async Task<ServerProcess> StartAsync()
    {
        var server = ServerProcess.Start(workspace, null, "--api_key", "s3cret");
        await server.WaitUntilUpAsync();
        Expect.Ok(await server.Client.GetQueryAsync("/workspace?api_key=s3cret"));
        return server;
    }

    [Fact]
    public async Task A_400_MB_unauthenticated_upload_is_refused_unread_and_memory_stays_flat()
    {
        using var server = await StartAsync();
        var sampler = PeakSampler.Start(server);

        foreach (var (contentType, bytes) in new[] { ("application/octet-stream", 400L << 20), ("application/json", 400L << 20), ("multipart/form-data; boundary=xyz", 200L << 20) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/dataset/upload") { Content = new ZeroContent(bytes, contentType) };
            var watch = Stopwatch.StartNew();
            var (status, reply) = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Expect.Error(reply, "unauthorized");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"{contentType}: answered after {watch.Elapsed}");
        }

        var growth = await sampler.StopAsync();
        Assert.True(growth < 50, $"RSS grew by {growth} MB while refusing unauthenticated bodies");
    }

    [Fact]
    public async Task An_authorised_upload_is_streamed_to_disk_not_memory_and_removed_when_refused()
    {
        using var key = new HttpRequestMessage(HttpMethod.Post, "/dataset") { Content = new StringContent("{\"name\":\"u\",\"dataset_type\":\"classification\"}", Encoding.UTF8, "application/json") };
        key.Headers.Add("X-Api-Key", "s3cret");
        using var server = await StartAsync();
        var did = Expect.Ok((await server.Client.SendAsync(key)).Body)["did"]!.GetValue<string>();
        var before = PeakSampler.Start(server);
        using var form = new MultipartFormDataContent { { new StringContent(did), "did" }, { new ZeroContent(160L << 20, "application/zip"), "file", "big.zip" } };
        using var upload = new HttpRequestMessage(HttpMethod.Post, "/dataset/upload") { Content = form };
        upload.Headers.Add("X-Api-Key", "s3cret");
        var (status, reply) = await server.Client.SendAsync(upload);
        var growth = await before.StopAsync();
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(-1, reply["status"]!.GetValue<int>()); // zeros are no zip
        Assert.True(growth < 50, $"RSS grew by {growth} MB during a 160 MB upload");
        Assert.Empty(Directory.EnumerateFiles(workspace, "*.zip", SearchOption.AllDirectories));
    }
}

internal sealed class PeakSampler
{
    private readonly CancellationTokenSource stop = new();
    private long before;
    private long peak;
    private Task? sampling;

    public static PeakSampler Start(ServerProcess server)
    {
        var sampler = new PeakSampler();
        sampler.before = sampler.peak = server.RssMiB;
        sampler.sampling = Task.Run(async () =>
        {
            while (!sampler.stop.IsCancellationRequested)
            {
                sampler.peak = Math.Max(sampler.peak, server.RssMiB);
                await Task.Delay(20);
            }
        });
        return sampler;
    }

    public async Task<long> StopAsync()
    {
        await stop.CancelAsync();
        await sampling!;
        stop.Dispose();
        return peak - before;
    }
}

/// <summary>A request body of zeros, produced as it is sent (nothing held in memory).</summary>
internal sealed class ZeroContent : HttpContent
{
    private readonly long length;

    public ZeroContent(long length, string contentType)
    {
        this.length = length;
        Headers.TryAddWithoutValidation("Content-Type", contentType);
        Headers.ContentLength = length;
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        var chunk = new byte[64 * 1024];
        for (long sent = 0; sent < length; sent += chunk.Length)
        {
            await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, length - sent)));
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = this.length;
        return true;
    }
}

/// <summary>Reads one HTTP/1.1 response from a raw socket (Content-Length or chunked body).</summary>
internal static class RawHttp
{
    public static async Task<(int Status, JsonObject Body)> ReadResponseAsync(Stream stream, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        var buffer = new List<byte>();
        var chunk = new byte[8192];
        while (true)
        {
            var text = Encoding.UTF8.GetString(buffer.ToArray());
            var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headerEnd >= 0 && TryBody(text[..headerEnd], text[(headerEnd + 4)..]) is { } body)
            {
                var status = int.Parse(text.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                return (status, JsonNode.Parse(body)!.AsObject());
            }

            var read = await stream.ReadAsync(chunk, timeout.Token);
            Assert.True(read > 0, $"connection closed before a full response: {text}");
            buffer.AddRange(chunk.AsSpan(0, read).ToArray());
        }
    }

    private static string? TryBody(string headers, string rest)
    {
        var lines = headers.Split("\r\n");
        var length = lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (length is not null)
        {
            var n = int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            return Encoding.UTF8.GetByteCount(rest) >= n ? rest : null;
        }

        var body = new StringBuilder();
        var position = 0;
        while (true)
        {
            var lineEnd = rest.IndexOf("\r\n", position, StringComparison.Ordinal);
            if (lineEnd < 0)
            {
                return null;
            }

            var size = Convert.ToInt32(rest[position..lineEnd], 16);
            if (size == 0)
            {
                return body.ToString();
            }

            var bytes = Encoding.UTF8.GetBytes(rest[(lineEnd + 2)..]);
            if (bytes.Length < size)
            {
                return null;
            }

            var piece = Encoding.UTF8.GetString(bytes, 0, size);
            body.Append(piece);
            position = lineEnd + 2 + piece.Length + 2;
        }
    }
}
