namespace PaddleX.Cloud.Inference;

/// <summary>
/// One instance's mask probabilities in the picture's pixels, kept only over the rectangle the mask was pasted into
/// (<see cref="Left"/>, <see cref="Top"/>, <see cref="Width"/> × <see cref="Height"/>, inside the picture); 0 elsewhere.
/// </summary>
public sealed record InstanceMask(int Left, int Top, int Width, int Height, float[] Probabilities)
{
    /// <summary>The probability at picture pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public float At(int x, int y) =>
        x >= Left && x < Left + Width && y >= Top && y < Top + Height ? Probabilities[((y - Top) * Width) + x - Left] : 0f;

    /// <summary>The whole picture as a row-major binary mask: probability ≥ <paramref name="threshold"/>.</summary>
    public bool[] ToBinary(int pictureWidth, int pictureHeight, float threshold = 0.5f)
    {
        var mask = new bool[pictureWidth * pictureHeight];
        for (var y = Top; y < Top + Height; y++)
        {
            for (var x = Left; x < Left + Width; x++)
            {
                mask[(y * pictureWidth) + x] = Probabilities[((y - Top) * Width) + x - Left] >= threshold;
            }
        }

        return mask;
    }

    /// <summary>
    /// Pastes a square mask <paramref name="mask"/> (side <paramref name="side"/>, predicted inside a box) into a picture
    /// of <paramref name="pictureWidth"/> × <paramref name="pictureHeight"/> at the box (x1, y1, x2, y2 in its pixels) as
    /// the service pastes masks: the mask gets a border of zeros and the box grows by the same share, the grown box is
    /// truncated to whole pixels, and the mask is resized to it bilinearly (half-pixel centres).
    /// </summary>
    public static InstanceMask Paste(ReadOnlySpan<float> mask, int side, float x1, float y1, float x2, float y2, int pictureWidth, int pictureHeight)
    {
        const int padding = 1;
        int n = side + (2 * padding);
        var padded = new float[n * n];
        for (var r = 0; r < side; r++)
        {
            mask.Slice(r * side, side).CopyTo(padded.AsSpan(((r + padding) * n) + padding, side));
        }

        float scale = (float)((double)n / side);
        float halfW = (x2 - x1) * 0.5f * scale, halfH = (y2 - y1) * 0.5f * scale;
        float cx = (x2 + x1) * 0.5f, cy = (y2 + y1) * 0.5f;
        int gx1 = (int)(cx - halfW), gy1 = (int)(cy - halfH), gx2 = (int)(cx + halfW), gy2 = (int)(cy + halfH);
        int w = Math.Max(gx2 - gx1 + 1, 1), h = Math.Max(gy2 - gy1 + 1, 1);
        int left = Math.Max(gx1, 0), right = Math.Min(gx2 + 1, pictureWidth), top = Math.Max(gy1, 0), bottom = Math.Min(gy2 + 1, pictureHeight);
        if (right <= left || bottom <= top)
        {
            return new InstanceMask(0, 0, 0, 0, []);
        }

        var values = new float[(right - left) * (bottom - top)];
        float sy = (float)n / h, sx = (float)n / w;
        for (var y = top; y < bottom; y++)
        {
            var (r0, r1, ly) = Source(y - gy1, sy, n);
            for (var x = left; x < right; x++)
            {
                var (c0, c1, lx) = Source(x - gx1, sx, n);
                float top0 = ((1 - lx) * padded[(r0 * n) + c0]) + (lx * padded[(r0 * n) + c1]);
                float top1 = ((1 - lx) * padded[(r1 * n) + c0]) + (lx * padded[(r1 * n) + c1]);
                values[((y - top) * (right - left)) + x - left] = ((1 - ly) * top0) + (ly * top1);
            }
        }

        return new InstanceMask(left, top, right - left, bottom - top, values);
    }

    /// <summary>Bilinear source cells and weight of output index <paramref name="i"/> (PyTorch's align_corners=false rule).</summary>
    private static (int Low, int High, float Lambda) Source(int i, float scale, int size)
    {
        float s = Math.Max((scale * (i + 0.5f)) - 0.5f, 0f);
        int low = (int)s;
        int high = low < size - 1 ? low + 1 : low;
        return (low, high, s - low);
    }
}
