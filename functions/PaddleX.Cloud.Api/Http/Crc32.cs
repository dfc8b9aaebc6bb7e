namespace PaddleX.Cloud.Api.Http;

/// <summary>CRC-32 (IEEE, the gzip trailer's), and the CRC of a concatenation from the CRCs of its
/// parts: a cached gzip answer is stitched together from separately compressed blocks, and only
/// the changed blocks are read again.</summary>
internal static class Crc32
{
    private const uint Polynomial = 0xEDB88320; // reflected

    private static readonly uint[] Table = MakeTable();

    // x^(2^n) modulo the polynomial, n = 0..31: shifting a CRC past 2^n zero bits is one product.
    private static readonly uint[] PowersOfTwo = MakePowersOfTwo();

    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        crc = ~crc;
        foreach (var b in data)
        {
            crc = Table[(byte)(crc ^ b)] ^ (crc >> 8);
        }

        return ~crc;
    }

    public static uint Of(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>The operator that moves a CRC past <paramref name="length"/> bytes: computed once
    /// per block, so combining costs one <see cref="Multiply"/> per block.</summary>
    public static uint ShiftFor(long length)
    {
        var p = 1u << 31; // x^0
        var bits = length * 8;
        for (var n = 0; bits != 0; n++, bits >>= 1)
        {
            if ((bits & 1) != 0)
            {
                p = Multiply(PowersOfTwo[n & 31], p);
            }
        }

        return p;
    }

    /// <summary>The CRC of A followed by B, from CRC(A), CRC(B) and the shift for B's length.</summary>
    public static uint Combine(uint crcA, uint crcB, uint shiftB) => Multiply(shiftB, crcA) ^ crcB;

    /// <summary>a·b modulo the polynomial, in the reflected bit order CRC-32 uses.</summary>
    private static uint Multiply(uint a, uint b)
    {
        var m = 1u << 31;
        var p = 0u;
        while (true)
        {
            if ((a & m) != 0)
            {
                p ^= b;
                if ((a & (m - 1)) == 0)
                {
                    return p;
                }
            }

            m >>= 1;
            b = (b & 1) != 0 ? (b >> 1) ^ Polynomial : b >> 1;
        }
    }

    private static uint[] MakeTable()
    {
        var table = new uint[256];
        for (var i = 0u; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }

    private static uint[] MakePowersOfTwo()
    {
        var powers = new uint[32];
        var p = 1u << 30; // x^1
        powers[0] = p;
        for (var n = 1; n < 32; n++)
        {
            powers[n] = p = Multiply(p, p);
        }

        return powers;
    }
}
