using System.Buffers.Binary;
using System.IO.Compression;

namespace PaddleX.Cloud.Datasets.Images;

/// <summary>A label map: one class value per pixel.</summary>
public sealed record LabelMap(int Width, int Height, ushort[] Values)
{
    /// <summary>Distinct values, ascending.</summary>
    public SortedSet<int> Distinct()
    {
        var seen = new bool[65536];
        foreach (var v in Values)
        {
            seen[v] = true;
        }

        var set = new SortedSet<int>();
        for (var i = 0; i < seen.Length; i++)
        {
            if (seen[i])
            {
                set.Add(i);
            }
        }

        return set;
    }
}

/// <summary>Reads single-channel PNG label maps (grayscale or palette) as raw values: a palette
/// PNG's pixel values are its palette indexes, which general decoders turn into colours.</summary>
public static class LabelPng
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Null when the file is not a single-channel, non-interlaced PNG.</summary>
    public static LabelMap? Read(Stream stream)
    {
        Span<byte> header = stackalloc byte[8];
        if (!TryFill(stream, header) || !header.SequenceEqual(Signature))
        {
            return null;
        }

        int width = 0, height = 0, depth = 0, colorType = -1;
        using var idat = new MemoryStream();
        Span<byte> chunkHead = stackalloc byte[8];
        Span<byte> crc = stackalloc byte[4];
        while (TryFill(stream, chunkHead))
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(chunkHead);
            if (length < 0)
            {
                return null;
            }

            var type = System.Text.Encoding.ASCII.GetString(chunkHead[4..]);
            var data = new byte[length];
            if (!TryFill(stream, data) || !TryFill(stream, crc))
            {
                return null;
            }

            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4));
                depth = data[8];
                colorType = data[9];
                if (data[12] != 0 || colorType is 2 or 6 || width <= 0 || height <= 0 || (long)width * height > 1L << 28)
                {
                    return null; // interlaced or colour: not a label map
                }
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            else if (type == "IEND")
            {
                break;
            }
        }

        if (width == 0 || colorType < 0)
        {
            return null;
        }

        var channels = colorType == 4 ? 2 : 1;
        var bitsPerPixel = depth * channels;
        var rowBytes = (width * bitsPerPixel + 7) / 8;
        var bpp = Math.Max(1, bitsPerPixel / 8);
        var values = new ushort[width * height];
        idat.Position = 0;
        using var inflate = new ZLibStream(idat, CompressionMode.Decompress);
        var previous = new byte[rowBytes];
        var current = new byte[rowBytes];
        for (var y = 0; y < height; y++)
        {
            var filter = inflate.ReadByte();
            if (filter < 0 || !TryFill(inflate, current))
            {
                return null;
            }

            Unfilter(filter, current, previous, bpp);
            for (var x = 0; x < width; x++)
            {
                values[(y * width) + x] = Sample(current, x, depth, channels);
            }

            (previous, current) = (current, previous);
        }

        return new LabelMap(width, height, values);
    }

    private static ushort Sample(byte[] row, int x, int depth, int channels) => depth switch
    {
        16 => (ushort)((row[x * 2 * channels] << 8) | row[(x * 2 * channels) + 1]),
        8 => row[x * channels],
        _ => (ushort)((row[x * depth / 8] >> (8 - depth - (x * depth % 8))) & ((1 << depth) - 1)),
    };

    private static void Unfilter(int filter, byte[] cur, byte[] prev, int bpp)
    {
        for (var i = 0; i < cur.Length; i++)
        {
            int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
            cur[i] = filter switch
            {
                1 => (byte)(cur[i] + a),
                2 => (byte)(cur[i] + b),
                3 => (byte)(cur[i] + ((a + b) >> 1)),
                4 => (byte)(cur[i] + Paeth(a, b, c)),
                _ => cur[i],
            };
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static bool TryFill(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                return false;
            }

            total += n;
        }

        return true;
    }
}
