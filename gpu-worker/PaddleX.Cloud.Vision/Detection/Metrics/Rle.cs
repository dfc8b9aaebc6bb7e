namespace PaddleX.Cloud.Vision.Detection.Metrics;

/// <summary>A binary mask of <see cref="Height"/> × <see cref="Width"/> pixels as COCO run lengths: the pixels are
/// read column by column (column-major) and <see cref="Counts"/> alternates runs of 0s and 1s, starting with 0s.</summary>
public sealed class Rle(int height, int width, uint[] counts)
{
    public int Height { get; } = height;

    public int Width { get; } = width;

    public uint[] Counts { get; } = counts;

    /// <summary>Number of foreground pixels.</summary>
    public long Area
    {
        get
        {
            long area = 0;
            for (var j = 1; j < Counts.Length; j += 2)
            {
                area += Counts[j];
            }

            return area;
        }
    }
}
