using BitMiracle.LibTiff.Classic;
using SkiaSharp;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>
/// A generated segmentation set in the PaddleX layout (<c>JPEGImages/</c>, <c>Annotations/</c> grayscale label
/// PNGs, labels.txt and optional split lists): a red disc and/or a green square on a noisy background of
/// random tint. Classes: background 0, disc 1, square 2. With <c>bands</c> &gt; 0 the pictures are 16-bit TIFFs
/// with that many bands (R, G, B × 256 and, beyond, their mean).
/// </summary>
public static class SegmentationShapes
{
    public static readonly string[] Labels = ["background", "disc", "square"];

    /// <summary>Writes the set; with <paramref name="lists"/> also train/val/test lists in that order of the pictures.</summary>
    public static string Write(string root, int train, int val, int test, int size = 64, int seed = 11, int bands = 0, bool lists = true)
    {
        Directory.CreateDirectory(Path.Combine(root, "JPEGImages"));
        Directory.CreateDirectory(Path.Combine(root, "Annotations"));
        File.WriteAllLines(Path.Combine(root, "labels.txt"), Labels);
        var rng = new Random(seed);
        var names = new List<string>();
        for (int i = 0; i < train + val + test; i++)
        {
            string image = $"JPEGImages/s{i:000}{(bands > 0 ? ".tif" : ".png")}";
            string mask = $"Annotations/s{i:000}.png";
            (byte[] rgb, byte[] labels) = Draw(size, rng);
            if (bands > 0)
            {
                WriteTiff(Path.Combine(root, image), size, rgb, bands);
            }
            else
            {
                WritePng(Path.Combine(root, image), size, rgb, 4, SKColorType.Rgba8888);
            }

            WritePng(Path.Combine(root, mask), size, labels, 1, SKColorType.Gray8);
            names.Add($"{image} {mask}");
        }

        if (lists)
        {
            File.WriteAllLines(Path.Combine(root, "train_list.txt"), names.Take(train));
            File.WriteAllLines(Path.Combine(root, "val_list.txt"), names.Skip(train).Take(val));
            File.WriteAllLines(Path.Combine(root, "test_list.txt"), names.Skip(train + val));
        }

        return root;
    }

    /// <summary>An 8-bit grayscale label PNG with the given values (row-major).</summary>
    public static void WriteMask(string path, int width, int height, byte[] values)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(values, 0, bitmap.GetPixels(), values.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static (byte[] Rgba, byte[] Labels) Draw(int size, Random rng)
    {
        var rgba = new byte[size * size * 4];
        var labels = new byte[size * size];
        int tint = rng.Next(60, 140);
        for (int p = 0; p < size * size; p++)
        {
            for (int c = 0; c < 3; c++)
            {
                rgba[p * 4 + c] = (byte)Math.Clamp(tint + rng.Next(-25, 26), 0, 255);
            }

            rgba[p * 4 + 3] = 255;
        }

        int kind = rng.Next(3); // 0 disc, 1 square, 2 both
        if (kind != 1)
        {
            int r = rng.Next(size / 8, size / 4);
            int cx = rng.Next(r, size - r), cy = rng.Next(r, size - r);
            Paint(size, rgba, labels, 1, (x, y) => (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r, (220, 40, 40), rng);
        }

        if (kind != 0)
        {
            int s = rng.Next(size / 6, size / 3);
            int x0 = rng.Next(0, size - s), y0 = rng.Next(0, size - s);
            Paint(size, rgba, labels, 2, (x, y) => x >= x0 && x < x0 + s && y >= y0 && y < y0 + s, (40, 200, 60), rng);
        }

        return (rgba, labels);
    }

    private static void Paint(int size, byte[] rgba, byte[] labels, byte label, Func<int, int, bool> inside, (int R, int G, int B) colour, Random rng)
    {
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                if (!inside(x, y))
                {
                    continue;
                }

                int p = y * size + x;
                labels[p] = label;
                rgba[p * 4] = (byte)Math.Clamp(colour.R + rng.Next(-20, 21), 0, 255);
                rgba[p * 4 + 1] = (byte)Math.Clamp(colour.G + rng.Next(-20, 21), 0, 255);
                rgba[p * 4 + 2] = (byte)Math.Clamp(colour.B + rng.Next(-20, 21), 0, 255);
            }
        }
    }

    private static void WritePng(string path, int size, byte[] pixels, int bytesPerPixel, SKColorType type)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(size, size, type, type == SKColorType.Gray8 ? SKAlphaType.Opaque : SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), size * size * bytesPerPixel);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static void WriteTiff(string path, int size, byte[] rgba, int bands)
    {
        using var tif = Tiff.Open(path, "w");
        tif.SetField(TiffTag.IMAGEWIDTH, size);
        tif.SetField(TiffTag.IMAGELENGTH, size);
        tif.SetField(TiffTag.SAMPLESPERPIXEL, bands);
        tif.SetField(TiffTag.BITSPERSAMPLE, 16);
        tif.SetField(TiffTag.PHOTOMETRIC, Photometric.MINISBLACK);
        if (bands > 1)
        {
            tif.SetField(TiffTag.EXTRASAMPLES, bands - 1, Enumerable.Repeat((short)ExtraSample.UNSPECIFIED, bands - 1).ToArray());
        }

        tif.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
        tif.SetField(TiffTag.ROWSPERSTRIP, size);
        var row = new byte[size * bands * 2];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                int p = (y * size + x) * 4;
                for (int c = 0; c < bands; c++)
                {
                    int v = c < 3 ? rgba[p + c] * 256 : (rgba[p] + rgba[p + 1] + rgba[p + 2]) * 85;
                    BitConverter.TryWriteBytes(row.AsSpan((x * bands + c) * 2, 2), (ushort)v);
                }
            }

            tif.WriteScanline(row, y);
        }
    }
}
