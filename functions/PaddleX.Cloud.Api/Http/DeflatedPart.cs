using System.IO.Compression;

namespace PaddleX.Cloud.Api.Http;

/// <summary>Bytes compressed on their own as a run of deflate blocks that ends on a byte boundary
/// (a sync flush), with their CRC-32 and length: such runs, from independent compressors, concatenate
/// into one valid deflate stream when the last of them is final. A gzip answer is a header, runs,
/// and a trailer of the combined CRC and length.</summary>
internal sealed class DeflatedPart
{
    /// <summary>zlib level 1 (its fastest): a change recompresses a block on the reader path.</summary>
    internal const int Level = 1;

    private DeflatedPart(byte[] deflated, uint crc, long length)
    {
        Deflated = deflated;
        Crc = crc;
        Length = length;
        Shift = Crc32.ShiftFor(length);
    }

    public byte[] Deflated { get; }

    public uint Crc { get; }

    /// <summary>Uncompressed length.</summary>
    public long Length { get; }

    /// <summary>Moves a CRC past this part (see <see cref="Crc32.ShiftFor"/>).</summary>
    public uint Shift { get; }

    public static DeflatedPart Compress(ReadOnlySpan<byte> data, bool final)
    {
        var output = new MemoryStream(data.Length / 4 + 64);
        var deflate = new DeflateStream(output, new ZLibCompressionOptions { CompressionLevel = Level }, leaveOpen: true);
        deflate.Write(data);
        byte[] deflated;
        if (final)
        {
            deflate.Dispose(); // the final block
            deflated = output.ToArray();
        }
        else
        {
            deflate.Flush(); // a sync flush: byte-aligned, not final
            deflated = output.ToArray();
            deflate.Dispose();
        }

        return new DeflatedPart(deflated, Crc32.Of(data), data.Length);
    }
}
