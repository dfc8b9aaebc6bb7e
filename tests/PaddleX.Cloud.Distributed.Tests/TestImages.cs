using System.Buffers.Binary;

namespace PaddleX.Cloud.Distributed.Tests;

internal static class TestImages
{
    /// <summary>A 24-bit BMP with seeded pixels.</summary>
    public static byte[] Bmp(int width, int height, int seed)
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
        for (var i = 54; i < data.Length; i++)
        {
            data[i] = (byte)((i * (seed | 3)) >> 3);
        }

        return data;
    }
}
