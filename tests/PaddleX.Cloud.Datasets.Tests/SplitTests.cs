using System.IO.Compression;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Datasets.Import;
using PaddleX.Cloud.Datasets.Rendering;
using SkiaSharp;

namespace PaddleX.Cloud.Datasets.Tests;

public sealed class SplitTests
{
    private static DatasetDetails Classes(params (string Label, int Count)[] classes)
    {
        var d = new DatasetDetails();
        foreach (var (label, count) in classes)
        {
            d.Labels.Add(label);
            for (var i = 0; i < count; i++)
            {
                d.FileInfo[$"{label}/{i}.jpg"] = label;
                (d.LabelInfo.TryGetValue(label, out var l) ? l : d.LabelInfo[label] = []).Add($"{label}/{i}.jpg");
            }
        }

        return d;
    }

    [Fact]
    public void Sizes_follow_the_original_floor_rule()
    {
        var d = Classes(("a", 50), ("b", 23), ("c", 7));
        DatasetSplitter.Split(d, "classification", 0.2, 0.1, seed: 1);
        Assert.Equal(16, d.ValFiles.Count);   // floor(80 * 0.2)
        Assert.Equal(8, d.TestFiles.Count);   // floor(80 * 0.1)
        Assert.Equal(56, d.TrainFiles.Count);
        Assert.Equal(80, d.TrainFiles.Concat(d.ValFiles).Concat(d.TestFiles).Distinct().Count());
    }

    [Fact]
    public void Classification_is_stratified_per_class()
    {
        var d = Classes(("a", 100), ("b", 40), ("c", 20));
        DatasetSplitter.Split(d, "classification", 0.25, 0.1, seed: 5);
        Assert.Equal(25, d.ValFiles.Count(f => f.StartsWith("a/", StringComparison.Ordinal)));
        Assert.Equal(10, d.ValFiles.Count(f => f.StartsWith("b/", StringComparison.Ordinal)));
        Assert.Equal(5, d.ValFiles.Count(f => f.StartsWith("c/", StringComparison.Ordinal)));
        Assert.Equal(2, d.TestFiles.Count(f => f.StartsWith("c/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Same_seed_same_split_and_another_seed_another()
    {
        string Run(int seed)
        {
            var d = Classes(("a", 30), ("b", 30));
            DatasetSplitter.Split(d, "detection", 0.3, 0.1, seed);
            return string.Join(",", d.ValFiles) + "|" + string.Join(",", d.TestFiles);
        }

        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
    }

    [Theory]
    [InlineData(0.5, 0.5, DatasetMessages.TrainEmpty)]
    [InlineData(0.01, 0.2, DatasetMessages.ValEmpty)]
    public void Empty_train_or_val_is_refused(double val, double test, string message)
    {
        var d = Classes(("a", 5), ("b", 5));
        Assert.Equal(message, Assert.Throws<DatasetCheckException>(() => DatasetSplitter.Split(d, "classification", val, test, 1)).Message);
    }

    [Fact]
    public async Task Details_json_has_exactly_the_original_structure()
    {
        var (result, output) = await Importing.ImportAsync("detection", Generate.Voc(Generate.TempDir(), 10));
        DatasetSplitter.Split(result.Details, "detection", 0.2, 0.2, 3);
        SplitWriter.Write("detection", result.Details, output);
        SplitWriter.WriteDetails(result.Details, output);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(output, DatasetLayout.DetailsFile)))!.AsObject();
        string[] keys = ["fields", "file_info", "label_info", "labels", "train_files", "val_files", "test_files", "class_train_file_list", "class_val_file_list", "class_test_file_list"];
        Assert.Equal(keys, json.Select(p => p.Key));
        Assert.Equal(keys[1..], json["fields"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(6, json["train_files"]!.AsArray().Count);
        Assert.Equal(["apple", "leaf", "pear"], json["class_val_file_list"]!.AsObject().Select(p => p.Key));
        var valApples = json["class_val_file_list"]!["apple"]!.AsArray().Select(n => (string)n!).ToList();
        Assert.All(valApples, f => Assert.Contains(f, json["val_files"]!.AsArray().Select(n => (string)n!)));
        Assert.All(json["train_files"]!.AsArray(), f => Assert.DoesNotContain("\\", (string)f!));
        var lines = File.ReadAllLines(Path.Combine(output, "train_list.txt"));
        Assert.Equal(6, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^JPEGImages/img\d\.jpg Annotations/img\d\.xml$", l));
        var reread = DatasetDetails.Read(File.OpenRead(Path.Combine(output, DatasetLayout.DetailsFile)));
        Assert.Equal(result.Details.ValFiles, reread.ValFiles);
    }

    [Fact]
    public async Task Instance_segmentation_split_writes_coco_subsets()
    {
        var (result, output) = await Importing.ImportAsync("instance_segmentation", Generate.CocoDataset(Generate.TempDir(), 10));
        DatasetSplitter.Split(result.Details, "instance_segmentation", 0.3, 0.2, 9);
        SplitWriter.Write("instance_segmentation", result.Details, output);
        var counts = new[] { "train", "val", "test" }.Select(n => JsonNode.Parse(File.ReadAllText(Path.Combine(output, n + ".json")))!["images"]!.AsArray().Count);
        Assert.Equal([5, 3, 2], counts);
    }

    // ---------- rendering ----------

    [Theory]
    [InlineData("classification")]
    [InlineData("detection")]
    [InlineData("segmentation")]
    [InlineData("instance_segmentation")]
    [InlineData("remote_segmentation")]
    public async Task Annotated_picture_decodes_and_differs_from_the_raw_one(string type)
    {
        var src = Generate.TempDir();
        string picture;
        switch (type)
        {
            case "classification":
                Generate.Classification(src, 2, ["cat", "dog"], ".png");
                picture = "cat/cat_0.png";
                break;
            case "detection":
                Generate.Voc(src, 2, ".png");
                picture = "JPEGImages/img0.png";
                break;
            case "instance_segmentation":
                Generate.CocoDataset(src, 2, rle: true);
                picture = "JPEGImages/img1.jpg";
                break;
            case "remote_segmentation":
                Generate.Segmentation(src, 2);
                Generate.Picture(Path.Combine(src, "JPEGImages", "img0.tif"), 32, 24);
                File.Delete(Path.Combine(src, "JPEGImages", "img0.jpg"));
                picture = "JPEGImages/img0.tif";
                break;
            default:
                Generate.Segmentation(src, 2, ext: ".png");
                picture = "JPEGImages/img0.png";
                break;
        }

        var (result, output) = await Importing.ImportAsync(type, src);
        var png = AnnotationRenderer.Render(type, output, result.Details, picture);
        Assert.NotNull(png);
        Assert.Equal([137, 80, 78, 71], png[..4]);
        using var rendered = SKBitmap.Decode(png);
        using var raw = Images.ImageFiles.Load(Path.Combine(output, picture))!;
        Assert.Equal((raw.Width, raw.Height), (rendered.Width, rendered.Height));
        var differing = 0;
        for (var y = 0; y < raw.Height; y++)
        {
            for (var x = 0; x < raw.Width; x++)
            {
                var a = raw.GetPixel(x, y);
                var b = rendered.GetPixel(x, y);
                differing += Math.Abs(a.Red - b.Red) + Math.Abs(a.Green - b.Green) + Math.Abs(a.Blue - b.Blue) > 30 ? 1 : 0;
            }
        }

        Assert.True(differing > raw.Width * raw.Height / 50, $"only {differing} pixels differ");
        Assert.Null(AnnotationRenderer.Render(type, output, result.Details, "JPEGImages/unknown.jpg"));
    }

    [Fact]
    public void Compressed_rle_counts_decode_like_pycocotools()
    {
        Assert.Equal([0, 3, 2], AnnotationRenderer.DecodeCompressedCounts("032"));
    }

    // ---------- archives ----------

    [Fact]
    public void Zip_slip_entries_are_refused()
    {
        var dir = Generate.TempDir();
        foreach (var name in new[] { "../evil.txt", "/etc/evil.txt", "a/../../evil.txt", "C:/evil.txt" })
        {
            var zip = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".zip");
            using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            {
                using var writer = new StreamWriter(archive.CreateEntry(name).Open());
                writer.Write("x");
            }

            var failure = Assert.Throws<DatasetCheckException>(() => ZipSource.Extract(zip, "up.zip", Path.Combine(dir, "x"), 1 << 20, CancellationToken.None));
            Assert.Equal(DatasetMessages.ZipEntryUnsafe(name), failure.Message);
            Assert.Equal(DatasetCheckException.ArchiveUnsafe, failure.Code);
        }

        Assert.False(File.Exists(Path.Combine(dir, "evil.txt")));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(dir)!, "evil.txt")));
    }

    [Fact]
    public void Archives_expanding_past_the_limit_are_refused()
    {
        var dir = Generate.TempDir();
        var zip = Path.Combine(dir, "big.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            using var stream = archive.CreateEntry("zeros.bin", CompressionLevel.Optimal).Open();
            stream.Write(new byte[3 << 20]);
        }

        Assert.True(new FileInfo(zip).Length < 100_000);
        var failure = Assert.Throws<DatasetCheckException>(() => ZipSource.Extract(zip, "big.zip", Path.Combine(dir, "x"), 1 << 20, CancellationToken.None));
        Assert.Equal(DatasetCheckException.ArchiveTooLarge, failure.Code);
        Assert.Equal(DatasetMessages.ZipTooLarge(1 << 20), failure.Message);
    }

    [Fact]
    public void A_single_wrapping_folder_is_the_import_root()
    {
        var dir = Generate.TempDir();
        var src = Generate.Classification(Path.Combine(dir, "mydata"), 1);
        var zip = Generate.Zip(src, Path.Combine(dir, "d.zip"));
        var root = ZipSource.Extract(zip, "d.zip", Path.Combine(dir, "x"), 1 << 30, CancellationToken.None);
        Assert.Equal(Path.Combine(dir, "x", "mydata"), root);
        Assert.True(File.Exists(Path.Combine(root, "cat", "cat_0.jpg")));
    }

    [Fact]
    public void Import_root_confinement_resolves_links()
    {
        var dir = Generate.TempDir();
        var root = Directory.CreateDirectory(Path.Combine(dir, "root")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(dir, "outside")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(root, "link"), outside);
        Directory.CreateDirectory(Path.Combine(root, "inside"));
        Assert.True(PathConfinement.IsInside(Path.Combine(root, "inside"), root));
        Assert.False(PathConfinement.IsInside(Path.Combine(root, "link"), root));
        Assert.False(PathConfinement.IsInside(Path.Combine(root, "inside", "..", "..", "outside"), root));
        Assert.False(PathConfinement.IsInside(outside, root));
        Assert.False(PathConfinement.IsInside(root + "_evil", root));
    }
}
