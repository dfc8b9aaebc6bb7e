using System.Text.Json;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Metrics;

namespace PaddleX.Cloud.Vision.Detection.Inference;

/// <summary>A binary instance mask over a whole picture, row by row (pixel (x, y) at <c>y * Width + x</c>, 1 = the
/// object) — the form the predict pictures draw. Converts from and to COCO's column-major run lengths.</summary>
public sealed class PictureMask
{
    public PictureMask(int width, int height, byte[] pixels)
    {
        if (pixels.Length != (long)width * height)
        {
            throw new ArgumentException($"the mask has {pixels.Length} pixels, not {width}×{height}", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    public byte[] Pixels { get; }

    public long Area => Pixels.LongCount(p => p != 0);

    /// <summary>A ground-truth object's outline (polygons or RLE) rasterised as pycocotools does; null without one.</summary>
    public static PictureMask? Of(DetectionObject o, int width, int height)
    {
        CocoSegmentation? segmentation = o.Polygons is not null
            ? CocoSegmentation.FromPolygons(o.Polygons.Select(p => p.Select(v => (double)v).ToArray()).ToList())
            : o.Rle?.Deserialize<CocoSegmentation>();
        return segmentation is null ? null : FromRle(segmentation.ToRle(height, width));
    }

    public static PictureMask FromRle(Rle rle)
    {
        byte[] columns = CocoMask.Decode(rle);
        var rows = new byte[columns.Length];
        for (int x = 0; x < rle.Width; x++)
        {
            for (int y = 0; y < rle.Height; y++)
            {
                rows[(y * rle.Width) + x] = columns[(x * rle.Height) + y];
            }
        }

        return new PictureMask(rle.Width, rle.Height, rows);
    }

    public Rle ToRle()
    {
        var columns = new byte[Pixels.Length];
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                columns[(x * Height) + y] = Pixels[(y * Width) + x] != 0 ? (byte)1 : (byte)0;
            }
        }

        return CocoMask.Encode(columns, Height, Width);
    }
}
