using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using PaddleX.Cloud.Server;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>The connection output that gives the web server's bodiless refusals the JSON shape: every
/// other byte reaches the transport unchanged and in order, whatever the sizes of the writes and
/// where the flushes fall, and only a whole bodiless 4xx/5xx answer written between two flushes (or
/// as the connection completes) is replaced.</summary>
public sealed class ProtocolErrorWriterTests
{
    private const string Refusal = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\nDate: Mon, 30 Nov 2026 21:00:00 GMT\r\nServer: Kestrel\r\n\r\n";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Answers_of_every_size_pass_through_unchanged(int seed)
    {
        var random = new Random(seed);
        var transport = Transport();
        var writer = new ProtocolErrorWriter(transport.Writer);
        var expected = new List<byte>();
        // Writes around the held buffer's size, far above it and tiny ones, through GetSpan with and
        // without size hints, flushed at random points.
        foreach (var size in Enumerable.Range(0, 60).Select(_ => random.Next(4) switch
        {
            0 => random.Next(1, 64),
            1 => random.Next(ProtocolErrorWriter.Held - 100, ProtocolErrorWriter.Held + 100),
            2 => random.Next(2_000, 9_000),
            _ => random.Next(100_000, 300_000),
        }))
        {
            var bytes = new byte[size];
            random.NextBytes(bytes);
            bytes[0] = (byte)'{'; // never "HTTP/1.1 4..", so nothing may be replaced
            if (random.Next(2) == 0)
            {
                writer.Write(bytes);
            }
            else
            {
                var span = writer.GetSpan(size);
                Assert.True(span.Length >= size);
                bytes.CopyTo(span);
                writer.Advance(size);
            }

            expected.AddRange(bytes);
            if (random.Next(3) == 0)
            {
                await FlushAndDrainAsync(writer, transport.Reader);
            }
        }

        writer.Complete();
        await transport.Writer.FlushAsync();
        await transport.Writer.CompleteAsync();
        byte[] received = [.. Drained, .. await ReadAllAsync(transport.Reader)];
        Assert.Equal(expected.Count, received.Length);
        Assert.True(expected.ToArray().AsSpan().SequenceEqual(received), "the bytes reached the transport changed or out of order");
    }

    [Fact]
    public async Task A_bodiless_refusal_gets_the_json_body_when_flushed_and_when_completed()
    {
        foreach (var complete in new[] { false, true })
        {
            var transport = Transport();
            var writer = new ProtocolErrorWriter(transport.Writer);
            // Written in pieces, as Kestrel writes the status line and the headers.
            foreach (var piece in Refusal.Chunk(17))
            {
                writer.Write(Encoding.ASCII.GetBytes(piece));
            }

            if (complete)
            {
                writer.Complete();
                await transport.Writer.FlushAsync();
            }
            else
            {
                await writer.FlushAsync();
            }

            await transport.Writer.CompleteAsync();
            var answer = Encoding.UTF8.GetString(await ReadAllAsync(transport.Reader));
            Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", answer, StringComparison.Ordinal);
            Assert.Contains("Content-Type: application/json; charset=utf-8\r\n", answer, StringComparison.Ordinal);
            var body = answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
            Assert.Contains($"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n", answer, StringComparison.Ordinal);
            Assert.Contains("\"code\":\"bad_request\"", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Refusal_like_heads_followed_by_more_bytes_or_answers_with_a_type_are_left_alone()
    {
        var typed = Refusal.Replace("Content-Length: 0\r\n", "Content-Length: 0\r\nContent-Type: text/plain\r\n", StringComparison.Ordinal);
        var longer = Refusal + new string('x', ProtocolErrorWriter.Held);
        foreach (var text in new[] { typed, longer, Refusal.Replace("400 Bad Request", "304 Not Modified", StringComparison.Ordinal) })
        {
            var transport = Transport();
            var writer = new ProtocolErrorWriter(transport.Writer);
            writer.Write(Encoding.ASCII.GetBytes(text));
            await writer.FlushAsync();
            await transport.Writer.CompleteAsync();
            Assert.Equal(text, Encoding.ASCII.GetString(await ReadAllAsync(transport.Reader)));
        }
    }

    private List<byte> Drained { get; } = [];

    /// <summary>A transport that never makes the writer wait for its reader (the tests read after writing).</summary>
    private static Pipe Transport() => new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0));

    private async Task FlushAndDrainAsync(PipeWriter writer, PipeReader reader)
    {
        await writer.FlushAsync();
        if (reader.TryRead(out var result))
        {
            Drained.AddRange(result.Buffer.ToArray());
            reader.AdvanceTo(result.Buffer.End);
        }
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader reader)
    {
        var all = new List<byte>();
        while (true)
        {
            var result = await reader.ReadAsync();
            all.AddRange(result.Buffer.ToArray());
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return [.. all];
            }
        }
    }
}
