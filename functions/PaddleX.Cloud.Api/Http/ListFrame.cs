using System.Text;

namespace PaddleX.Cloud.Api.Http;

/// <summary>What surrounds the items of a list answer, <c>{"status":1,"name":[</c> and <c>]}</c>,
/// as bytes and compressed once (the tail as the final deflate block).</summary>
internal sealed class ListFrame
{
    public ListFrame(string name)
    {
        Head = Encoding.UTF8.GetBytes($"{{\"status\":1,\"{name}\":[");
        HeadPart = DeflatedPart.Compress(Head, final: false);
        TailPart = DeflatedPart.Compress(Tail, final: true);
    }

    public byte[] Head { get; }

    public byte[] Tail { get; } = "]}"u8.ToArray();

    public DeflatedPart HeadPart { get; }

    public DeflatedPart TailPart { get; }
}
