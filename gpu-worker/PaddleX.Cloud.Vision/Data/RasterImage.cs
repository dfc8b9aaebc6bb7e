using BitMiracle.LibTiff.Classic;
using PaddleX.Cloud.Datasets.Images;
using SkiaSharp;

namespace PaddleX.Cloud.Vision.Data;

/// <summary>
/// A decoded picture as planar CHW floats in its own units: 0–255 for 8-bit pictures (RGB for jpg/png/bmp),
/// raw sample values for TIFF (any band count; 8/16-bit integer or 32-bit float samples). Remote-sensing
/// images keep every band; drawing uses the first three.
/// </summary>
public sealed class RasterImage
{
    public RasterImage(int channels, int width, int height, float[] data)
    {
        if (data.Length != channels * width * height)
        {
            throw new ArgumentException("data does not match channels × width × height", nameof(data));
        }

        Channels = channels;
        Width = width;
        Height = height;
        Data = data;
    }

    public int Channels { get; }

    public int Width { get; }

    public int Height { get; }

    public float[] Data { get; }

    public Span<float> Band(int c) => Data.AsSpan(c * Width * Height, Width * Height);

    /// <summary>Decodes a picture file; TIFF through LibTiff with every band, other formats as RGB.</summary>
    /// <exception cref="InvalidDataException">the file cannot be decoded (the message names it).</exception>
    public static RasterImage Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"cannot find image {path}");
        }

        if (ImageFiles.IsTiff(path) || HasTiffSignature(path))
        {
            return LoadTiff(path);
        }

        using SKBitmap bitmap = ImageIO.Decode(path);
        return FromBitmap(bitmap);
    }

    public static RasterImage FromBitmap(SKBitmap bitmap)
    {
        var data = new float[3 * bitmap.Width * bitmap.Height];
        if (bitmap.ColorType == SKColorType.Rgba8888)
        {
            ImageIO.ToChwRgb(bitmap, data);
        }
        else
        {
            using SKBitmap rgba = bitmap.Copy(SKColorType.Rgba8888) ?? throw new InvalidDataException("cannot convert the picture to RGBA");
            ImageIO.ToChwRgb(rgba, data);
        }

        return new RasterImage(3, bitmap.Width, bitmap.Height, data);
    }

    /// <summary>The first three bands (one band repeated when there are fewer) as an 8-bit picture; bands
    /// outside 0–255 are stretched from their own minimum to maximum.</summary>
    public SKBitmap ToBitmap()
    {
        int plane = Width * Height;
        var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var px = new byte[plane * 4];
        for (int c = 0; c < 3; c++)
        {
            ReadOnlySpan<float> band = Band(Math.Min(c, Channels - 1));
            float min = float.MaxValue, max = float.MinValue;
            foreach (float v in band)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }

            bool eightBit = min >= 0 && max <= 255;
            float scale = eightBit ? 1 : max > min ? 255f / (max - min) : 0;
            float offset = eightBit ? 0 : min;
            for (int i = 0; i < plane; i++)
            {
                px[i * 4 + c] = (byte)Math.Clamp((band[i] - offset) * scale + 0.5f, 0, 255);
            }
        }

        for (int i = 0; i < plane; i++)
        {
            px[i * 4 + 3] = 255;
        }

        System.Runtime.InteropServices.Marshal.Copy(px, 0, bitmap.GetPixels(), px.Length);
        return bitmap;
    }

    private static RasterImage LoadTiff(string path)
    {
        try
        {
            using Tiff? tif = Tiff.Open(path, "r");
            if (tif is null)
            {
                throw new InvalidDataException($"cannot decode image {path}: not a readable TIFF");
            }

            int width = tif.GetField(TiffTag.IMAGEWIDTH)[0].ToInt();
            int height = tif.GetField(TiffTag.IMAGELENGTH)[0].ToInt();
            int bands = tif.GetField(TiffTag.SAMPLESPERPIXEL)?[0].ToInt() ?? 1;
            int bits = tif.GetField(TiffTag.BITSPERSAMPLE)?[0].ToInt() ?? 8;
            var format = (SampleFormat)(tif.GetField(TiffTag.SAMPLEFORMAT)?[0].ToInt() ?? (int)SampleFormat.UINT);
            var planar = (PlanarConfig)(tif.GetField(TiffTag.PLANARCONFIG)?[0].ToInt() ?? (int)PlanarConfig.CONTIG);
            if (bits is not (8 or 16 or 32) || (bits == 32 && format != SampleFormat.IEEEFP) || (bits != 32 && format == SampleFormat.IEEEFP))
            {
                throw new InvalidDataException($"cannot decode image {path}: {bits}-bit {format} samples are not supported (8 or 16-bit integers, 32-bit floats)");
            }

            int bytes = bits / 8;
            int plane = width * height;
            var data = new float[bands * plane];
            var line = new byte[tif.ScanlineSize()];
            bool signed = format == SampleFormat.INT;
            if (tif.IsTiled())
            {
                ReadTiles(tif, data, width, height, bands, bits, signed, planar, path);
            }
            else if (planar == PlanarConfig.CONTIG)
            {
                for (int y = 0; y < height; y++)
                {
                    Read(tif, line, y, 0, path);
                    for (int x = 0; x < width; x++)
                    {
                        for (int c = 0; c < bands; c++)
                        {
                            data[c * plane + y * width + x] = Sample(line, (x * bands + c) * bytes, bits, signed);
                        }
                    }
                }
            }
            else
            {
                for (int c = 0; c < bands; c++)
                {
                    for (int y = 0; y < height; y++)
                    {
                        Read(tif, line, y, (short)c, path);
                        for (int x = 0; x < width; x++)
                        {
                            data[c * plane + y * width + x] = Sample(line, x * bytes, bits, signed);
                        }
                    }
                }
            }

            return new RasterImage(bands, width, height, data);
        }
        catch (Exception e) when (e is IOException or NullReferenceException or ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw new InvalidDataException($"cannot decode image {path}: {e.Message}", e);
        }
    }

    /// <summary>An uploaded picture has no meaningful extension: TIFF is recognised by its byte-order mark.</summary>
    private static bool HasTiffSignature(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.Read(head) == 4 && (head.SequenceEqual("II*\0"u8) || head.SequenceEqual("MM\0*"u8));
    }

    /// <summary>A tiled TIFF (common for remote-sensing rasters): every tile of every plane, edge tiles clipped to
    /// the picture.</summary>
    private static void ReadTiles(Tiff tif, float[] data, int width, int height, int bands, int bits, bool signed, PlanarConfig planar, string path)
    {
        int tileWidth = tif.GetField(TiffTag.TILEWIDTH)[0].ToInt();
        int tileHeight = tif.GetField(TiffTag.TILELENGTH)[0].ToInt();
        bool contig = planar == PlanarConfig.CONTIG;
        int perPixel = contig ? bands : 1, bytes = bits / 8, plane = width * height;
        var tile = new byte[tif.TileSize()];
        for (short p = 0; p < (contig ? 1 : bands); p++)
        {
            for (int ty = 0; ty < height; ty += tileHeight)
            {
                for (int tx = 0; tx < width; tx += tileWidth)
                {
                    if (tif.ReadTile(tile, 0, tx, ty, 0, p) < 0)
                    {
                        throw new InvalidDataException($"cannot decode image {path}: the tile at ({tx}, {ty}) is unreadable");
                    }

                    for (int y = 0; y < Math.Min(tileHeight, height - ty); y++)
                    {
                        for (int x = 0; x < Math.Min(tileWidth, width - tx); x++)
                        {
                            for (int c = 0; c < perPixel; c++)
                            {
                                data[((contig ? c : p) * plane) + ((ty + y) * width) + tx + x] = Sample(tile, (((y * tileWidth) + x) * perPixel + c) * bytes, bits, signed);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void Read(Tiff tif, byte[] line, int row, short sample, string path)
    {
        if (!tif.ReadScanline(line, row, sample))
        {
            throw new InvalidDataException($"cannot decode image {path}: row {row} is unreadable");
        }
    }

    private static float Sample(byte[] line, int offset, int bits, bool signed) => bits switch
    {
        8 => signed ? (sbyte)line[offset] : line[offset],
        16 => signed ? BitConverter.ToInt16(line, offset) : BitConverter.ToUInt16(line, offset),
        _ => BitConverter.ToSingle(line, offset),
    };
}
