using System.Buffers;
using System.IO.Pipelines;

namespace PaddleX.Cloud.Server;

/// <summary>The output of a connection under <see cref="ProtocolErrorBodies"/>: passes every write
/// through to the transport, replacing only a complete bodiless refusal. What is written between
/// two flushes is held in a small buffer while it could still be one (at most <see cref="Held"/>
/// bytes); as soon as it cannot, the held bytes go out and the rest is written straight into the
/// transport's buffers, so answers are not copied again (a stream in between had copied every
/// answer into buffers of its own: 40 % of the server's allocations under the store benchmark,
/// docs/metadata-store.md).</summary>
internal sealed class ProtocolErrorWriter(PipeWriter inner) : PipeWriter
{
    internal const int Held = 1024;

    private readonly byte[] held = new byte[Held];
    private int heldCount;
    private bool passing;
    private bool completed;

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes + heldCount;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (!passing)
        {
            if (heldCount + Math.Max(sizeHint, 1) <= Held)
            {
                return held.AsMemory(heldCount);
            }

            Release(rewrite: false);
            passing = true;
        }

        return inner.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        if (passing)
        {
            inner.Advance(bytes);
        }
        else
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, Held - heldCount);
            heldCount += bytes;
        }
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        Release(rewrite: !passing);
        passing = false;
        return inner.FlushAsync(cancellationToken);
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    /// <summary>Hands what is held to the transport (Kestrel's last answer is written here, as it
    /// closes the connection) and leaves the transport open: it belongs to Kestrel.</summary>
    public override void Complete(Exception? exception = null)
    {
        if (!completed)
        {
            completed = true;
            Release(rewrite: !passing);
        }
    }

    private void Release(bool rewrite)
    {
        if (heldCount == 0)
        {
            return;
        }

        var bytes = held.AsSpan(0, heldCount);
        heldCount = 0;
        inner.Write(rewrite && ProtocolErrorBodies.Rewrite(bytes) is { } replaced ? replaced : (ReadOnlySpan<byte>)bytes);
    }
}
