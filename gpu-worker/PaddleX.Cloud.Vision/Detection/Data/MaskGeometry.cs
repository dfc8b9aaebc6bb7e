using PaddleX.Cloud.Vision.Detection.Inference;

namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>The pixel moves of the detection transforms applied to an object's bitmap mask (RLE outlines cannot move
/// point by point as polygons do), so a mask stays aligned with its picture.</summary>
internal static class MaskGeometry
{
    public static PictureMask FlipHorizontal(PictureMask m)
    {
        var pixels = new byte[m.Pixels.Length];
        for (int y = 0; y < m.Height; y++)
        {
            for (int x = 0; x < m.Width; x++)
            {
                pixels[(y * m.Width) + x] = m.Pixels[(y * m.Width) + (m.Width - 1 - x)];
            }
        }

        return new PictureMask(m.Width, m.Height, pixels);
    }

    /// <summary>The mask on a <paramref name="width"/>×<paramref name="height"/> canvas with its corner at (x, y);
    /// what falls outside the canvas is cut off (a negative corner crops).</summary>
    public static PictureMask Place(PictureMask m, int width, int height, int x, int y)
    {
        var pixels = new byte[width * height];
        int x0 = Math.Max(0, x), x1 = Math.Min(width, x + m.Width);
        for (int row = Math.Max(0, y); row < Math.Min(height, y + m.Height) && x0 < x1; row++)
        {
            m.Pixels.AsSpan(((row - y) * m.Width) + (x0 - x), x1 - x0).CopyTo(pixels.AsSpan((row * width) + x0));
        }

        return new PictureMask(width, height, pixels);
    }

    /// <summary>Nearest-neighbour resampling (pixel centres), which keeps the mask binary.</summary>
    public static PictureMask Resize(PictureMask m, int width, int height)
    {
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            int sy = Math.Min(m.Height - 1, (int)((y + 0.5) * m.Height / height));
            for (int x = 0; x < width; x++)
            {
                int sx = Math.Min(m.Width - 1, (int)((x + 0.5) * m.Width / width));
                pixels[(y * width) + x] = m.Pixels[(sy * m.Width) + sx];
            }
        }

        return new PictureMask(width, height, pixels);
    }
}
