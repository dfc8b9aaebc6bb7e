using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using BitMiracle.LibTiff.Classic;
using SkiaSharp;

namespace PaddleX.Cloud.Datasets.Tests;

/// <summary>Tiny generated datasets of every type and layout.</summary>
public static class Generate
{
    public static string TempDir(string? under = null)
    {
        var dir = Path.Combine(under ?? Path.GetTempPath(), "pxds-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Picture(string path, int width = 32, int height = 32, int seed = 0)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext == ".bmp")
        {
            File.WriteAllBytes(path, TestImages.Bmp(width, height, seed));
            return;
        }

        if (ext is ".tif" or ".tiff")
        {
            Tif(path, width, height, seed);
            return;
        }

        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor((byte)(40 + (seed * 37 % 200)), (byte)(90 + (seed * 11 % 150)), (byte)(160 - (seed * 7 % 150))));
            using var paint = new SKPaint { Color = SKColors.White };
            canvas.DrawRect(width / 4f, height / 4f, width / 2f, height / 2f, paint);
        }

        var format = ext == ".png" ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg;
        using var data = bitmap.Encode(format, 90);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>A truncated copy of a valid JPEG: the header parses, the pixels do not.</summary>
    public static void TruncatedJpeg(string path)
    {
        Picture(path, 64, 64, 3);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
    }

    private static void Tif(string path, int width, int height, int seed)
    {
        using var tif = Tiff.Open(path, "w");
        tif.SetField(TiffTag.IMAGEWIDTH, width);
        tif.SetField(TiffTag.IMAGELENGTH, height);
        tif.SetField(TiffTag.SAMPLESPERPIXEL, 4);
        tif.SetField(TiffTag.BITSPERSAMPLE, 8);
        tif.SetField(TiffTag.PHOTOMETRIC, Photometric.RGB);
        tif.SetField(TiffTag.EXTRASAMPLES, 1, new short[] { (short)ExtraSample.UNSPECIFIED });
        tif.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
        tif.SetField(TiffTag.ROWSPERSTRIP, height);
        var row = new byte[width * 4];
        for (var y = 0; y < height; y++)
        {
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = (byte)((i * 5) + (y * 3) + seed);
            }

            tif.WriteScanline(row, y);
        }
    }

    /// <summary>A single-channel label PNG: palette (colour type 3) or grayscale (0), 8-bit.</summary>
    public static void LabelPng(string path, int width, int height, Func<int, int, int> value, bool palette = true)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            for (var x = 0; x < width; x++)
            {
                raw.WriteByte((byte)value(x, y));
            }
        }

        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(z);
        }

        using var png = new MemoryStream();
        png.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = (byte)(palette ? 3 : 0);
        Chunk(png, "IHDR", ihdr);
        if (palette)
        {
            var plte = new byte[256 * 3];
            for (var i = 0; i < 256; i++)
            {
                plte[i * 3] = (byte)(i * 50);
                plte[(i * 3) + 1] = (byte)(i * 90);
                plte[(i * 3) + 2] = (byte)(i * 130);
            }

            Chunk(png, "PLTE", plte);
        }

        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        File.WriteAllBytes(path, png.ToArray());
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(head, 4);
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(head.AsSpan(4).ToArray().Concat(data).ToArray()));
        s.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            c ^= b;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
        }

        return c ^ 0xFFFFFFFFu;
    }

    // ---- datasets ----

    public static string Classification(string root, int perClass = 6, string[]? classes = null, string ext = ".jpg")
    {
        classes ??= ["cat", "dog"];
        var n = 0;
        foreach (var c in classes)
        {
            for (var i = 0; i < perClass; i++)
            {
                Picture(Path.Combine(root, c, $"{c}_{i}{ext}"), seed: n++);
            }
        }

        return root;
    }

    public static string ClassificationPreSplit(string root)
    {
        Classification(root, 4);
        File.WriteAllText(Path.Combine(root, "labels.txt"), "cat\ndog\n");
        File.WriteAllText(Path.Combine(root, "train_list.txt"), "cat/cat_0.jpg 0\ncat/cat_1.jpg 0\ncat/cat_2.jpg 0\ndog/dog_0.jpg 1\ndog/dog_1.jpg 1\ndog/dog_2.jpg 1\n");
        File.WriteAllText(Path.Combine(root, "val_list.txt"), "cat/cat_3.jpg 0\ndog/dog_3.jpg 1\n");
        return root;
    }

    public static string VocXml(string name, int w, int h, params (string Name, int X1, int Y1, int X2, int Y2)[] objects) =>
        $"<annotation><filename>{name}</filename><size><width>{w}</width><height>{h}</height><depth>3</depth></size>"
        + string.Concat(objects.Select(o => $"<object><name>{o.Name}</name><bndbox><xmin>{o.X1}</xmin><ymin>{o.Y1}</ymin><xmax>{o.X2}</xmax><ymax>{o.Y2}</ymax></bndbox></object>"))
        + "</annotation>";

    public static string Voc(string root, int count = 6, string ext = ".jpg")
    {
        for (var i = 0; i < count; i++)
        {
            Picture(Path.Combine(root, "JPEGImages", $"img{i}{ext}"), 48, 40, i);
            var label = i % 2 == 0 ? "apple" : "pear";
            Directory.CreateDirectory(Path.Combine(root, "Annotations"));
            File.WriteAllText(Path.Combine(root, "Annotations", $"img{i}.xml"), VocXml($"img{i}{ext}", 48, 40, (label, 4, 4, 30, 30), ("leaf", 20, 20, 40, 36)));
        }

        return root;
    }

    public static string VocPreSplit(string root)
    {
        Voc(root, 4);
        File.WriteAllText(Path.Combine(root, "labels.txt"), "apple\nleaf\npear\n");
        File.WriteAllText(Path.Combine(root, "train_list.txt"), "JPEGImages/img0.jpg Annotations/img0.xml\nJPEGImages/img1.jpg Annotations/img1.xml\nJPEGImages/img2.jpg Annotations/img2.xml\n");
        File.WriteAllText(Path.Combine(root, "val_list.txt"), "JPEGImages/img3.jpg Annotations/img3.xml\n");
        return root;
    }

    public static JsonObject Coco(int count, int w = 40, int h = 32, bool rle = false, int firstId = 1)
    {
        var images = new JsonArray();
        var anns = new JsonArray();
        var annId = 1;
        for (var i = 0; i < count; i++)
        {
            var id = firstId + i;
            images.Add(new JsonObject { ["id"] = id, ["file_name"] = $"img{id}.jpg", ["width"] = w, ["height"] = h });
            anns.Add(new JsonObject
            {
                ["id"] = annId++, ["image_id"] = id, ["category_id"] = 1 + (i % 2), ["iscrowd"] = 0,
                ["bbox"] = new JsonArray(2, 2, 20, 16), ["area"] = 200,
                ["segmentation"] = new JsonArray(new JsonArray(2, 2, 22, 2, 22, 18, 2, 18)),
            });
            if (rle)
            {
                anns.Add(new JsonObject
                {
                    ["id"] = annId++, ["image_id"] = id, ["category_id"] = 2, ["iscrowd"] = 1,
                    ["bbox"] = new JsonArray(10, 10, 10, 10), ["area"] = 100,
                    ["segmentation"] = new JsonObject { ["size"] = new JsonArray(h, w), ["counts"] = new JsonArray(10 * h + 10, 10, h - 10, 10, h - 10, 10, 10 * h) },
                });
            }
        }

        return new JsonObject
        {
            ["images"] = images,
            ["annotations"] = anns,
            ["categories"] = new JsonArray(new JsonObject { ["id"] = 1, ["name"] = "cube" }, new JsonObject { ["id"] = 2, ["name"] = "ball" }),
        };
    }

    public static string CocoDataset(string root, int count = 6, bool rle = false)
    {
        var coco = Coco(count, rle: rle);
        foreach (var image in coco["images"]!.AsArray())
        {
            Picture(Path.Combine(root, "JPEGImages", (string)image!["file_name"]!), 40, 32, (int)image["id"]!);
        }

        File.WriteAllText(Path.Combine(root, "annotations.json"), coco.ToJsonString());
        return root;
    }

    public static string CocoPreSplit(string root)
    {
        var train = Coco(3, firstId: 1);
        var val = Coco(2, firstId: 10);
        foreach (var image in train["images"]!.AsArray().Concat(val["images"]!.AsArray()))
        {
            Picture(Path.Combine(root, "JPEGImages", (string)image!["file_name"]!), 40, 32, (int)image["id"]!);
        }

        File.WriteAllText(Path.Combine(root, "train.json"), train.ToJsonString());
        File.WriteAllText(Path.Combine(root, "val.json"), val.ToJsonString());
        return root;
    }

    public static string Segmentation(string root, int count = 6, string ext = ".jpg", bool labels = false, bool palette = true)
    {
        for (var i = 0; i < count; i++)
        {
            Picture(Path.Combine(root, "JPEGImages", $"img{i}{ext}"), 32, 24, i);
            var cls = 1 + (i % 2);
            LabelPng(Path.Combine(root, "Annotations", $"img{i}.png"), 32, 24, (x, y) => x < 8 ? 0 : x < 20 ? cls : y < 4 ? 255 : 0, palette);
        }

        if (labels)
        {
            File.WriteAllText(Path.Combine(root, "labels.txt"), "background\nroad\ncar\n");
        }

        return root;
    }

    public static string Zip(string folder, string zipPath)
    {
        ZipFile.CreateFromDirectory(folder, zipPath, CompressionLevel.Fastest, includeBaseDirectory: true);
        return zipPath;
    }
}
