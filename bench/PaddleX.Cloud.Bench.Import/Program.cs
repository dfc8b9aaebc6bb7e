using System.Diagnostics;
using System.Globalization;
using PaddleX.Cloud.Datasets.Import;
using SkiaSharp;

// Dataset import benchmark.
//   generate <dir> <classification-images> <voc-images>   writes <dir>/cls and <dir>/voc (64x64 JPEGs)
//   import <type> <source> <output>                       runs the import (check + decode + copy) like the worker
// Prints one line: images, seconds, images/s, peak RSS (MiB) of this process.
return args switch
{
    ["generate", var dir, var cls, var voc] => Generate(dir, int.Parse(cls, CultureInfo.InvariantCulture), int.Parse(voc, CultureInfo.InvariantCulture)),
    ["import", var type, var source, var output] => await ImportAsync(type, source, output),
    ["phases", var type, var source, var output] => Phases(type, source, output),
    _ => Usage(),
};

static int Phases(string type, string source, string output)
{
    var clock = Stopwatch.StartNew();
    var listing = SourceListing.Of(source);
    Console.WriteLine($"listing {listing.Files.Count} files: {clock.ElapsedMilliseconds} ms");
    clock.Restart();
    var context = new PaddleX.Cloud.Datasets.Formats.CheckContext(listing, source, output, CancellationToken.None);
    var result = PaddleX.Cloud.Datasets.Formats.DatasetFormats.For(type).Check(context);
    Console.WriteLine($"check: {clock.ElapsedMilliseconds} ms");
    clock.Restart();
    long bytes = 0;
    foreach (var f in listing.Files)
    {
        bytes += File.ReadAllBytes(listing.FullPath(f)).Length;
    }

    Console.WriteLine($"read all ({bytes} bytes): {clock.ElapsedMilliseconds} ms");
    clock.Restart();
    foreach (var f in listing.Files)
    {
        var b = File.ReadAllBytes(listing.FullPath(f));
        PaddleX.Cloud.Datasets.Images.ImageFiles.Decodes(f, b, b.Length);
    }

    Console.WriteLine($"read + decode: {clock.ElapsedMilliseconds} ms");
    clock.Restart();
    Directory.CreateDirectory(output);
    var i = 0;
    foreach (var f in listing.Files)
    {
        File.WriteAllBytes(Path.Combine(output, (i++).ToString(CultureInfo.InvariantCulture)), File.ReadAllBytes(listing.FullPath(f)));
    }

    Console.WriteLine($"read + write: {clock.ElapsedMilliseconds} ms");
    clock.Restart();
    PaddleX.Cloud.Datasets.SplitWriter.WriteDetails(result.Details, output);
    Console.WriteLine($"details: {clock.ElapsedMilliseconds} ms");
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: generate <dir> <n-classification> <n-voc> | import <type> <source> <output>");
    return 2;
}

static int Generate(string dir, int classification, int voc)
{
    var random = new Random(1);
    using var bitmap = new SKBitmap(64, 64);
    using var canvas = new SKCanvas(bitmap);
    using var paint = new SKPaint();
    byte[] Jpeg(int i)
    {
        canvas.Clear(new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
        paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        canvas.DrawCircle(random.Next(64), random.Next(64), 8 + random.Next(20), paint);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    for (var i = 0; i < classification; i++)
    {
        var path = Path.Combine(dir, "cls", $"class{i % 10}", $"img{i:D6}.jpg");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Jpeg(i));
    }

    Directory.CreateDirectory(Path.Combine(dir, "voc", "JPEGImages"));
    Directory.CreateDirectory(Path.Combine(dir, "voc", "Annotations"));
    for (var i = 0; i < voc; i++)
    {
        File.WriteAllBytes(Path.Combine(dir, "voc", "JPEGImages", $"img{i:D6}.jpg"), Jpeg(i));
        var label = i % 3 == 0 ? "car" : "person";
        File.WriteAllText(
            Path.Combine(dir, "voc", "Annotations", $"img{i:D6}.xml"),
            $"<annotation><filename>img{i:D6}.jpg</filename><size><width>64</width><height>64</height><depth>3</depth></size>"
            + $"<object><name>{label}</name><bndbox><xmin>4</xmin><ymin>6</ymin><xmax>40</xmax><ymax>50</ymax></bndbox></object></annotation>");
    }

    return 0;
}

static async Task<int> ImportAsync(string type, string source, string output)
{
    var clock = Stopwatch.StartNew();
    var result = await DatasetImporter.RunAsync(new DatasetImporter.Request(type, source, source, output), new ImportProgress(), CancellationToken.None);
    clock.Stop();
    using var self = Process.GetCurrentProcess();
    var images = result.Details.FileInfo.Count;
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"import {type}: {images} images in {clock.Elapsed.TotalSeconds:F2} s = {images / clock.Elapsed.TotalSeconds:F0} images/s, peak RSS {self.PeakWorkingSet64 / (1024.0 * 1024):F0} MiB"));
    return 0;
}
