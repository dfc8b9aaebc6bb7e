using BitMiracle.LibTiff.Classic;
using SkiaSharp;

namespace PaddleX.Cloud.Datasets.Images;

/// <summary>Picture names and decodability. Every check decodes one picture at a time from a
/// stream or buffer, so memory does not grow with the dataset.</summary>
public static class ImageFiles
{
    private static readonly HashSet<string> Pictures = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp" };

    private static readonly HashSet<string> Tiffs = new(StringComparer.OrdinalIgnoreCase) { ".tif", ".tiff" };

    static ImageFiles() => Tiff.SetErrorHandler(new QuietTiffErrors());

    /// <summary>jpg/jpeg/png/bmp in any letter case; also tif/tiff when <paramref name="allowTiff"/>.</summary>
    public static bool IsPicture(string name, bool allowTiff = false)
    {
        var ext = Path.GetExtension(name);
        return Pictures.Contains(ext) || (allowTiff && Tiffs.Contains(ext));
    }

    public static bool IsTiff(string name) => Tiffs.Contains(Path.GetExtension(name));

    /// <summary>Width and height from the file's header only, or null when it cannot be read.</summary>
    public static (int Width, int Height)? ReadSize(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
            if (IsTiff(path))
            {
                using var tif = Tiff.ClientOpen(path, "r", stream, new TiffStream());
                return tif is null ? null : (tif.GetField(TiffTag.IMAGEWIDTH)[0].ToInt(), tif.GetField(TiffTag.IMAGELENGTH)[0].ToInt());
            }

            using var codec = SKCodec.Create(stream);
            return codec is null ? null : (codec.Info.Width, codec.Info.Height);
        }
        catch (Exception e) when (e is IOException or NullReferenceException or ArgumentException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>True when the whole picture decodes (a truncated file does not).</summary>
    public static bool Decodes(string name, Stream content)
    {
        try
        {
            return IsTiff(name) ? TiffDecodes(name, content) : SkiaDecodes(content);
        }
        catch (Exception e) when (e is IOException or NullReferenceException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException)
        {
            return false;
        }
    }

    /// <summary>True when the whole picture in <paramref name="bytes"/> decodes.</summary>
    public static bool Decodes(string name, byte[] bytes, int length)
    {
        if (IsTiff(name))
        {
            return Decodes(name, new MemoryStream(bytes, 0, length, writable: false));
        }

        try
        {
            using var data = SKData.CreateCopy(bytes.AsSpan(0, length));
            using var codec = SKCodec.Create(data);
            return codec is not null && DecodeAll(codec);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException)
        {
            return false;
        }
    }

    private static bool SkiaDecodes(Stream content)
    {
        using var codec = SKCodec.Create(content, out var result);
        return codec is not null && result == SKCodecResult.Success && DecodeAll(codec);
    }

    [ThreadStatic]
    private static byte[]? pixelBuffer;

    /// <summary>Decodes every pixel into a per-thread buffer (reused: no allocation per picture).
    /// JPEGs decode at the smallest DCT scale, which still reads every entropy-coded byte, so a
    /// truncated or corrupt stream still fails.</summary>
    private static unsafe bool DecodeAll(SKCodec codec)
    {
        var size = codec.Info.Size;
        if (size.Width <= 0 || size.Height <= 0 || (long)size.Width * size.Height > 1L << 28)
        {
            return false;
        }

        if (codec.EncodedFormat == SKEncodedImageFormat.Jpeg)
        {
            size = codec.GetScaledDimensions(0.125f);
        }

        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var needed = info.BytesSize;
        if (pixelBuffer is null || pixelBuffer.Length < needed)
        {
            pixelBuffer = GC.AllocateUninitializedArray<byte>(Math.Max(needed, 1 << 16), pinned: true);
        }

        fixed (byte* pixels = pixelBuffer)
        {
            return codec.GetPixels(info, (IntPtr)pixels) == SKCodecResult.Success;
        }
    }

    private static bool TiffDecodes(string name, Stream content)
    {
        using var tif = Tiff.ClientOpen(name, "r", content, new TiffStream());
        if (tif is null)
        {
            return false;
        }

        if (tif.IsTiled())
        {
            var buffer = new byte[tif.TileSize()];
            for (var i = 0; i < tif.NumberOfTiles(); i++)
            {
                if (tif.ReadEncodedTile(i, buffer, 0, -1) < 0)
                {
                    return false;
                }
            }
        }
        else
        {
            var buffer = new byte[tif.StripSize()];
            for (var i = 0; i < tif.NumberOfStrips(); i++)
            {
                if (tif.ReadEncodedStrip(i, buffer, 0, -1) < 0)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Decodes a picture for drawing; TIFF bands beyond the first three are dropped.</summary>
    public static SKBitmap? Load(string path)
    {
        if (!IsTiff(path))
        {
            return SKBitmap.Decode(path);
        }

        using var tif = Tiff.Open(path, "r");
        if (tif is null)
        {
            return null;
        }

        var width = tif.GetField(TiffTag.IMAGEWIDTH)[0].ToInt();
        var height = tif.GetField(TiffTag.IMAGELENGTH)[0].ToInt();
        var raster = new int[width * height];
        if (!tif.ReadRGBAImageOriented(width, height, raster, Orientation.TOPLEFT))
        {
            return null;
        }

        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(raster, 0, bitmap.GetPixels(), raster.Length);
        return bitmap;
    }

    private sealed class QuietTiffErrors : TiffErrorHandler
    {
        public override void ErrorHandler(Tiff tif, string method, string format, params object[] args)
        {
        }

        public override void ErrorHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args)
        {
        }

        public override void WarningHandler(Tiff tif, string method, string format, params object[] args)
        {
        }

        public override void WarningHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args)
        {
        }
    }
}
