using System.Buffers.Binary;

namespace PaddleX.Cloud.Testing;

/// <summary>Pictures written without an image library, so a test controls every byte.</summary>
public static class TestImages
{
    /// <summary>A 24-bit bottom-up BMP (BGR rows padded to 4 bytes) with the colour <paramref name="pixel"/> gives each (x, y).</summary>
    public static byte[] Bmp(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        var rowSize = ((width * 3) + 3) & ~3;
        var data = new byte[54 + (rowSize * height)];
        data[0] = (byte)'B';
        data[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(2), data.Length);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(28), 24);
        for (var y = 0; y < height; y++)
        {
            var row = 54 + ((height - 1 - y) * rowSize);
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                data[row + (x * 3)] = b;
                data[row + (x * 3) + 1] = g;
                data[row + (x * 3) + 2] = r;
            }
        }

        return data;
    }

    /// <summary>A BMP of seeded noise: different seeds give different pictures, the same seed the same bytes.</summary>
    public static byte[] Bmp(int width, int height, int seed) =>
        Bmp(width, height, (x, y) =>
        {
            // A fixed mix (HashCode is randomised per process): the bytes are the same on every run.
            var h = unchecked(((uint)x * 73856093u) ^ ((uint)y * 19349663u) ^ ((uint)seed * 83492791u));
            h ^= h >> 13;
            h *= 0x5bd1e995u;
            h ^= h >> 15;
            return ((byte)h, (byte)(h >> 8), (byte)(h >> 16));
        });
}
