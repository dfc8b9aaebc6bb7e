using System.Text;

namespace PaddleX.Cloud.Datasets.Formats;

/// <summary>
/// COCO's compressed RLE counts string (pycocotools' rleToString / rleFrString): each count, after the first two
/// as the difference to the count two before, in a LEB128-like code of 5 data bits per character (characters
/// 48–111, bit 0x20 = more characters follow, bit 0x10 of the last one = negative).
/// </summary>
public static class CocoRleCounts
{
    /// <summary>Decodes leniently, as pycocotools does: a string cut inside a count ends that count. Callers that
    /// must reject malformed input check <see cref="IsWellFormed"/> first.</summary>
    public static uint[] Decode(string s)
    {
        var counts = new List<uint>();
        var p = 0;
        while (p < s.Length)
        {
            long x = 0;
            var k = 0;
            var more = true;
            while (more && p < s.Length)
            {
                var c = s[p] - 48;
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0)
                {
                    x |= -1L << (5 * k);
                }
            }

            if (counts.Count > 2)
            {
                x += counts[^2];
            }

            counts.Add(unchecked((uint)x));
        }

        return [.. counts];
    }

    /// <summary>Only characters of the code, and the last one ends its count.</summary>
    public static bool IsWellFormed(string s) =>
        s.All(ch => ch is >= (char)48 and <= (char)111) && (s.Length == 0 || ((s[^1] - 48) & 0x20) == 0);

    public static string Encode(IReadOnlyList<uint> counts)
    {
        var text = new StringBuilder(counts.Count * 2);
        for (var i = 0; i < counts.Count; i++)
        {
            long x = counts[i];
            if (i > 2)
            {
                x -= counts[i - 2];
            }

            var more = true;
            while (more)
            {
                var c = (int)(x & 0x1f);
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more)
                {
                    c |= 0x20;
                }

                text.Append((char)(c + 48));
            }
        }

        return text.ToString();
    }
}
