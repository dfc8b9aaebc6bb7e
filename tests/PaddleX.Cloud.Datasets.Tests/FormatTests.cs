using System.Text.Json.Nodes;
using PaddleX.Cloud.Datasets.Formats;
using PaddleX.Cloud.Datasets.Images;

namespace PaddleX.Cloud.Datasets.Tests;

public sealed class FormatTests
{
    // ---------- classification ----------

    [Fact]
    public async Task Classification_folders_give_labels_file_info_and_label_info()
    {
        var src = Generate.Classification(Generate.TempDir(), 3, ["b_cls", "a_cls"]);
        Generate.Picture(Path.Combine(src, "b_cls", "UPPER.JPG"), seed: 9);
        Generate.Picture(Path.Combine(src, "a_cls", "x.Png"), seed: 8);
        Generate.Picture(Path.Combine(src, "a_cls", "y.bmp"), seed: 7);
        Generate.Picture(Path.Combine(src, "a_cls", "deep", "z.jpg"), seed: 6); // two levels down: invisible
        File.WriteAllText(Path.Combine(src, "readme.txt"), "root files are copied, not labelled");
        var (result, output) = await Importing.ImportAsync("classification", src);
        var d = result.Details;
        Assert.False(result.PreSplit);
        Assert.Equal(["a_cls", "b_cls"], d.Labels);
        Assert.Equal(9, d.FileInfo.Count);
        Assert.Equal("b_cls", d.FileInfo["b_cls/UPPER.JPG"]);
        Assert.Contains("a_cls/y.bmp", d.LabelInfo["a_cls"]);
        Assert.DoesNotContain("a_cls/deep/z.jpg", d.FileInfo.Keys);
        Assert.True(File.Exists(Path.Combine(output, "readme.txt")));
        Assert.True(File.Exists(Path.Combine(output, "b_cls", "UPPER.JPG")));
        Assert.False(Directory.Exists(Path.Combine(output, "a_cls", "deep")));
        Assert.True(File.Exists(Path.Combine(output, DatasetLayout.DetailsFile)));
    }

    [Fact]
    public async Task Classification_pre_split_is_read_and_rewritten()
    {
        var src = Generate.ClassificationPreSplit(Generate.TempDir());
        var (result, output) = await Importing.ImportAsync("classification", src);
        Assert.True(result.PreSplit);
        Assert.Equal(6, result.Details.TrainFiles.Count);
        Assert.Equal(["cat/cat_3.jpg", "dog/dog_3.jpg"], result.Details.ValFiles);
        Assert.Empty(result.Details.TestFiles);
        Assert.Contains("dog/dog_3.jpg 1", File.ReadAllLines(Path.Combine(output, "val_list.txt")));
        Assert.True(File.Exists(Path.Combine(output, "test_list.txt")));
    }

    public static TheoryData<string, string> ClassificationBreaks() => new()
    {
        { "space", "类别-my cat名称有误，分类数据集中类别名称不应包含空格" },
        { "one-class", DatasetMessages.TooFewClasses },
        { "split-missing-labels", DatasetMessages.ClsSplitFilesMissing },
        { "split-missing-image", "数据目录train_list.txt中不存在图片文件cat/nope.jpg" },
        { "split-label-order", DatasetMessages.LabelOrderWrong },
        { "split-not-picture", "文件cat/notes.txt不是图片格式" },
        { "split-three-columns", "train_list.txt 格式错误. 列表应包含两列，由空格分离。" },
        { "truncated", "图片文件dog/broken.jpg已损坏或无法解码" },
        { "garbage", "图片文件cat/garbage.png已损坏或无法解码" },
    };

    [Theory]
    [MemberData(nameof(ClassificationBreaks))]
    public async Task Classification_rules_report_their_message(string breaker, string expected)
    {
        var src = Generate.TempDir();
        switch (breaker)
        {
            case "space":
                Generate.Classification(src, 2, ["dog", "my cat"]);
                break;
            case "one-class":
                Generate.Classification(src, 3, ["cat"]);
                break;
            case "split-missing-labels":
                Generate.ClassificationPreSplit(src);
                File.Delete(Path.Combine(src, "labels.txt"));
                break;
            case "split-missing-image":
                Generate.ClassificationPreSplit(src);
                File.AppendAllText(Path.Combine(src, "train_list.txt"), "cat/nope.jpg 0\n");
                break;
            case "split-label-order":
                Generate.ClassificationPreSplit(src);
                File.WriteAllText(Path.Combine(src, "labels.txt"), "dog\ncat\n");
                break;
            case "split-not-picture":
                Generate.ClassificationPreSplit(src);
                File.WriteAllText(Path.Combine(src, "cat", "notes.txt"), "x");
                File.AppendAllText(Path.Combine(src, "train_list.txt"), "cat/notes.txt 0\n");
                break;
            case "split-three-columns":
                Generate.ClassificationPreSplit(src);
                File.AppendAllText(Path.Combine(src, "train_list.txt"), "cat/cat_0.jpg 0 extra\n");
                break;
            case "truncated":
                Generate.Classification(src, 2);
                Generate.TruncatedJpeg(Path.Combine(src, "dog", "broken.jpg"));
                break;
            case "garbage":
                Generate.Classification(src, 2);
                File.WriteAllText(Path.Combine(src, "cat", "garbage.png"), "not a png at all");
                break;
        }

        Assert.Equal(expected, await Importing.FailureAsync("classification", src));
    }

    [Fact]
    public async Task Symbolic_links_in_a_source_are_not_followed()
    {
        var secret = Generate.TempDir();
        Generate.Picture(Path.Combine(secret, "private.jpg"));
        var src = Generate.Classification(Generate.TempDir(), 2);
        File.CreateSymbolicLink(Path.Combine(src, "cat", "leak.jpg"), Path.Combine(secret, "private.jpg"));
        Directory.CreateSymbolicLink(Path.Combine(src, "secrets"), secret);
        var (result, output) = await Importing.ImportAsync("classification", src);
        Assert.DoesNotContain("cat/leak.jpg", result.Details.FileInfo.Keys);
        Assert.Equal(["cat", "dog"], result.Details.Labels);
        Assert.False(File.Exists(Path.Combine(output, "cat", "leak.jpg")));
        Assert.False(Directory.Exists(Path.Combine(output, "secrets")));
    }

    [Fact]
    public async Task A_jpeg_missing_only_its_last_bytes_is_refused()
    {
        var src = Generate.Classification(Generate.TempDir(), 2);
        var path = Path.Combine(src, "cat", "tail.jpg");
        Generate.Picture(path, 64, 64, 5);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^40]);
        Assert.Equal("图片文件cat/tail.jpg已损坏或无法解码", await Importing.FailureAsync("classification", src));
    }

    [Fact]
    public async Task Many_label_folders_copy_in_parallel_without_losing_files()
    {
        var classes = Enumerable.Range(0, 40).Select(i => $"c{i:D2}").ToArray();
        var src = Generate.Classification(Generate.TempDir(), 3, classes);
        for (var round = 0; round < 3; round++)
        {
            var (result, output) = await Importing.ImportAsync("classification", src);
            Assert.Equal(120, result.Details.FileInfo.Count);
            Assert.Equal(120, Directory.GetFiles(output, "*.jpg", SearchOption.AllDirectories).Length);
        }
    }

    // ---------- detection ----------

    [Fact]
    public async Task Voc_detection_maps_images_to_xml_and_collects_labels()
    {
        var src = Generate.Voc(Generate.TempDir(), 4, ".JPEG");
        var (result, output) = await Importing.ImportAsync("detection", src);
        Assert.Equal(["apple", "leaf", "pear"], result.Details.Labels);
        Assert.Equal("Annotations/img1.xml", result.Details.FileInfo["JPEGImages/img1.JPEG"]);
        Assert.Equal(4, result.Details.LabelInfo["leaf"].Count);
        Assert.Equal(2, result.Details.LabelInfo["pear"].Count);
        Assert.True(File.Exists(Path.Combine(output, "Annotations", "img3.xml")));
    }

    [Fact]
    public async Task Voc_pre_split_is_accepted()
    {
        var (result, output) = await Importing.ImportAsync("detection", Generate.VocPreSplit(Generate.TempDir()));
        Assert.True(result.PreSplit);
        Assert.Equal(3, result.Details.TrainFiles.Count);
        Assert.Equal("apple\nleaf\npear\n", File.ReadAllText(Path.Combine(output, "labels.txt")));
    }

    [Fact]
    public async Task Coco_detection_is_converted_to_voc_files()
    {
        var src = Generate.CocoDataset(Generate.TempDir(), 4);
        var (result, output) = await Importing.ImportAsync("detection", src);
        Assert.Equal(["ball", "cube"], result.Details.Labels);
        Assert.Equal("Annotations/img2.xml", result.Details.FileInfo["JPEGImages/img2.jpg"]);
        var voc = VocAnnotation.TryRead(Path.Combine(output, "Annotations", "img2.xml"));
        Assert.NotNull(voc);
        Assert.Equal(new VocObject("ball", 2, 2, 22, 18), voc.Objects.Single());
    }

    public static TheoryData<string, string> DetectionBreaks() => new()
    {
        { "no-annotations-dir", "标注文件应该放在SRC/Annotations目录下" },
        { "no-images-dir", "图片文件应该放在SRC/JPEGImages目录下" },
        { "malformed-xml", "文件Annotations/img1.xml不是一个良构的xml文件" },
        { "missing-xml", "文件Annotations/img2.xml不是一个良构的xml文件" },
        { "split-missing-xml", "数据目录val_list.txt中不存在标注文件Annotations/none.xml" },
        { "split-missing-image", "数据目录val_list.txt中不存在图片文件JPEGImages/none.jpg" },
        { "split-not-xml", "标注文件Annotations/img0.txt不是xml文件" },
        { "split-not-picture", "文件JPEGImages/img0.gif不是图片格式" },
        { "split-label-mismatch", "文件Annotations/img0.xml与labels.txt文件信息不对应" },
        { "split-missing-lists", DatasetMessages.ClsSplitFilesMissing },
        { "truncated", "图片文件JPEGImages/img3.jpg已损坏或无法解码" },
    };

    [Theory]
    [MemberData(nameof(DetectionBreaks))]
    public async Task Detection_rules_report_their_message(string breaker, string expected)
    {
        var src = Generate.TempDir();
        var split = breaker.StartsWith("split", StringComparison.Ordinal);
        if (split)
        {
            Generate.VocPreSplit(src);
        }
        else
        {
            Generate.Voc(src, 4);
        }

        switch (breaker)
        {
            case "no-annotations-dir":
                Directory.Delete(Path.Combine(src, "Annotations"), true);
                break;
            case "no-images-dir":
                Directory.Delete(Path.Combine(src, "JPEGImages"), true);
                break;
            case "malformed-xml":
                File.WriteAllText(Path.Combine(src, "Annotations", "img1.xml"), "<annotation><object>");
                break;
            case "missing-xml":
                File.Delete(Path.Combine(src, "Annotations", "img2.xml"));
                break;
            case "split-missing-xml":
                File.AppendAllText(Path.Combine(src, "val_list.txt"), "JPEGImages/img0.jpg Annotations/none.xml\n");
                break;
            case "split-missing-image":
                File.AppendAllText(Path.Combine(src, "val_list.txt"), "JPEGImages/none.jpg Annotations/img0.xml\n");
                break;
            case "split-not-xml":
                File.WriteAllText(Path.Combine(src, "Annotations", "img0.txt"), "x");
                File.AppendAllText(Path.Combine(src, "val_list.txt"), "JPEGImages/img0.jpg Annotations/img0.txt\n");
                break;
            case "split-not-picture":
                File.WriteAllText(Path.Combine(src, "JPEGImages", "img0.gif"), "x");
                File.AppendAllText(Path.Combine(src, "val_list.txt"), "JPEGImages/img0.gif Annotations/img0.xml\n");
                break;
            case "split-label-mismatch":
                File.WriteAllText(Path.Combine(src, "labels.txt"), "apple\npear\n");
                break;
            case "split-missing-lists":
                File.Delete(Path.Combine(src, "val_list.txt"));
                break;
            case "truncated":
                Generate.TruncatedJpeg(Path.Combine(src, "JPEGImages", "img3.jpg"));
                break;
        }

        Assert.Equal(expected, await Importing.FailureAsync("detection", src));
    }

    [Fact]
    public async Task Voc_xml_with_a_dtd_is_refused_as_malformed()
    {
        var src = Generate.Voc(Generate.TempDir(), 2);
        File.WriteAllText(Path.Combine(src, "Annotations", "img0.xml"), "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><annotation>&x;</annotation>");
        Assert.Equal("文件Annotations/img0.xml不是一个良构的xml文件", await Importing.FailureAsync("detection", src));
    }

    // ---------- segmentation ----------

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Segmentation_label_maps_give_class_values(bool palette, bool labels)
    {
        var src = Generate.Segmentation(Generate.TempDir(), 4, labels: labels, palette: palette);
        var (result, _) = await Importing.ImportAsync("segmentation", src);
        var d = result.Details;
        Assert.Equal(labels ? ["background", "road", "car"] : ["0", "1", "2"], d.Labels);
        Assert.Equal(4, d.LabelInfo[d.Labels[0]].Count);
        Assert.Equal(["JPEGImages/img0.jpg", "JPEGImages/img2.jpg"], d.LabelInfo[d.Labels[1]]);
        Assert.Equal("Annotations/img3.png", d.FileInfo["JPEGImages/img3.jpg"]);
    }

    [Fact]
    public async Task Segmentation_pre_split_is_accepted()
    {
        var src = Generate.Segmentation(Generate.TempDir(), 3);
        File.WriteAllText(Path.Combine(src, "train_list.txt"), "JPEGImages/img0.jpg Annotations/img0.png\nJPEGImages/img1.jpg Annotations/img1.png\n");
        File.WriteAllText(Path.Combine(src, "val_list.txt"), "JPEGImages/img2.jpg Annotations/img2.png\n");
        var (result, output) = await Importing.ImportAsync("segmentation", src);
        Assert.True(result.PreSplit);
        Assert.Equal(["JPEGImages/img2.jpg"], result.Details.ValFiles);
        Assert.Equal("0\n1\n2\n", File.ReadAllText(Path.Combine(output, "labels.txt")));
    }

    public static TheoryData<string, string> SegmentationBreaks() => new()
    {
        { "size", "文件JPEGImages/img1.jpg与标注图片尺寸不一致" },
        { "labels-short", DatasetMessages.LabelValuesMismatch },
        { "mask-missing", "标注文件Annotations/img2.png不存在" },
        { "rgb-mask", "标注文件Annotations/img0.png应为单通道(灰度或调色板)png图片" },
        { "no-annotations-dir", "标注文件应该放在SRC/Annotations目录下" },
        { "split-no-val", DatasetMessages.SegSplitFilesMissing },
        { "split-not-png", "标注文件Annotations/img0.bmp不是png文件" },
        { "split-missing-mask", "数据目录train_list.txt中不存在标注文件Annotations/zzz.png" },
    };

    [Theory]
    [MemberData(nameof(SegmentationBreaks))]
    public async Task Segmentation_rules_report_their_message(string breaker, string expected)
    {
        var src = Generate.Segmentation(Generate.TempDir(), 3);
        switch (breaker)
        {
            case "size":
                Generate.LabelPng(Path.Combine(src, "Annotations", "img1.png"), 10, 10, (_, _) => 1);
                break;
            case "labels-short":
                File.WriteAllText(Path.Combine(src, "labels.txt"), "background\nroad\n");
                break;
            case "mask-missing":
                File.Delete(Path.Combine(src, "Annotations", "img2.png"));
                break;
            case "rgb-mask":
                Generate.Picture(Path.Combine(src, "Annotations", "img0.png"), 32, 24);
                break;
            case "no-annotations-dir":
                Directory.Delete(Path.Combine(src, "Annotations"), true);
                break;
            case "split-no-val":
                File.WriteAllText(Path.Combine(src, "train_list.txt"), "JPEGImages/img0.jpg Annotations/img0.png\n");
                break;
            case "split-not-png":
                File.WriteAllText(Path.Combine(src, "Annotations", "img0.bmp"), "x");
                File.WriteAllText(Path.Combine(src, "train_list.txt"), "JPEGImages/img0.jpg Annotations/img0.bmp\n");
                File.WriteAllText(Path.Combine(src, "val_list.txt"), "JPEGImages/img1.jpg Annotations/img1.png\n");
                break;
            case "split-missing-mask":
                File.WriteAllText(Path.Combine(src, "train_list.txt"), "JPEGImages/img0.jpg Annotations/zzz.png\n");
                File.WriteAllText(Path.Combine(src, "val_list.txt"), "JPEGImages/img1.jpg Annotations/img1.png\n");
                break;
        }

        Assert.Equal(expected, await Importing.FailureAsync("segmentation", src));
    }

    [Fact]
    public async Task Remote_segmentation_accepts_multiband_tiff()
    {
        var src = Generate.TempDir();
        for (var i = 0; i < 3; i++)
        {
            Generate.Picture(Path.Combine(src, "JPEGImages", $"tile{i}.TIF"), 32, 24, i);
            Generate.LabelPng(Path.Combine(src, "Annotations", $"tile{i}.png"), 32, 24, (x, _) => x % 3);
        }

        var (result, output) = await Importing.ImportAsync("remote_segmentation", src);
        Assert.Equal(["0", "1", "2"], result.Details.Labels);
        Assert.True(File.Exists(Path.Combine(output, "JPEGImages", "tile2.TIF")));
        Assert.Equal("图片文件JPEGImages/tile0.TIF已损坏或无法解码", await TruncatedTiffAsync(src));

        static async Task<string> TruncatedTiffAsync(string src)
        {
            var path = Path.Combine(src, "JPEGImages", "tile0.TIF");
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            return await Importing.FailureAsync("remote_segmentation", src);
        }
    }

    [Fact]
    public async Task Plain_segmentation_does_not_take_tiff()
    {
        var src = Generate.Segmentation(Generate.TempDir(), 2);
        Generate.Picture(Path.Combine(src, "JPEGImages", "extra.tif"), 32, 24);
        var (result, _) = await Importing.ImportAsync("segmentation", src);
        Assert.DoesNotContain("JPEGImages/extra.tif", result.Details.FileInfo.Keys);
    }

    // ---------- instance segmentation ----------

    [Fact]
    public async Task Instance_segmentation_writes_json_annotations_per_image()
    {
        var src = Generate.CocoDataset(Generate.TempDir(), 4, rle: true);
        var (result, output) = await Importing.ImportAsync("instance_segmentation", src);
        Assert.Equal(["ball", "cube"], result.Details.Labels);
        Assert.Equal("Annotations/img1.json", result.Details.FileInfo["JPEGImages/img1.jpg"]);
        var ann = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "Annotations", "img1.json")))!;
        Assert.Equal(32, (int)ann["h"]!);
        Assert.Equal(["cube", "ball"], ann["gt_class"]!.AsArray().Select(n => (string)n!));
        Assert.Equal([2.0, 2.0, 22.0, 18.0], ann["gt_bbox"]![0]!.AsArray().Select(n => (double)n!));
        Assert.IsType<JsonObject>(ann["gt_poly"]![1]); // RLE kept as is
        Assert.Empty(Directory.GetFiles(output, "*.npy", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Instance_segmentation_pre_split_merges_into_annotations_json()
    {
        var (result, output) = await Importing.ImportAsync("instance_segmentation", Generate.CocoPreSplit(Generate.TempDir()));
        Assert.True(result.PreSplit);
        Assert.Equal(3, result.Details.TrainFiles.Count);
        Assert.Equal(2, result.Details.ValFiles.Count);
        var merged = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "annotations.json")))!;
        Assert.Equal([0L, 1, 2, 3, 4], merged["images"]!.AsArray().Select(i => (long)i!["id"]!));
        Assert.Equal(5, merged["annotations"]!.AsArray().Count);
        var val = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "val.json")))!;
        Assert.Equal(2, val["images"]!.AsArray().Count);
    }

    public static TheoryData<string, string> CocoBreaks() => new()
    {
        { "no-json", "标注文件annotations.json应该放在SRC目录下" },
        { "no-images-dir", "图片文件应该放在SRC/JPEGImages目录下" },
        { "zero-area", DatasetMessages.CocoInvalid },
        { "degenerate-box", DatasetMessages.CocoInvalid },
        { "not-json", DatasetMessages.CocoInvalid },
        { "unknown-category", DatasetMessages.CocoInvalid },
        { "images-missing", "标注文件中img2.jpg等2个信息无对应图片" },
        { "split-no-val", DatasetMessages.CocoSplitFilesMissing },
    };

    [Theory]
    [MemberData(nameof(CocoBreaks))]
    public async Task Instance_segmentation_rules_report_their_message(string breaker, string expected)
    {
        var src = Generate.CocoDataset(Generate.TempDir(), 4);
        var json = Path.Combine(src, "annotations.json");
        var coco = JsonNode.Parse(File.ReadAllText(json))!;
        switch (breaker)
        {
            case "no-json":
                File.Delete(json);
                break;
            case "no-images-dir":
                Directory.Delete(Path.Combine(src, "JPEGImages"), true);
                break;
            case "zero-area":
                coco["annotations"]![0]!["area"] = 0;
                File.WriteAllText(json, coco.ToJsonString());
                break;
            case "degenerate-box":
                coco["annotations"]![1]!["bbox"] = new JsonArray(50, 50, 5, 5); // entirely outside the 40x32 image
                File.WriteAllText(json, coco.ToJsonString());
                break;
            case "not-json":
                File.WriteAllText(json, "{ not json");
                break;
            case "unknown-category":
                coco["annotations"]![0]!["category_id"] = 99;
                File.WriteAllText(json, coco.ToJsonString());
                break;
            case "images-missing":
                File.Delete(Path.Combine(src, "JPEGImages", "img2.jpg"));
                File.Delete(Path.Combine(src, "JPEGImages", "img4.jpg"));
                break;
            case "split-no-val":
                File.Move(json, Path.Combine(src, "train.json"));
                break;
        }

        Assert.Equal(expected, await Importing.FailureAsync("instance_segmentation", src));
    }

    // ---------- label PNG reader ----------

    [Fact]
    public void Label_png_reader_returns_palette_indexes_not_colours()
    {
        var path = Path.Combine(Generate.TempDir(), "m.png");
        Generate.LabelPng(path, 5, 3, (x, y) => x + y);
        using var stream = File.OpenRead(path);
        var map = LabelPng.Read(stream)!;
        Assert.Equal((5, 3), (map.Width, map.Height));
        Assert.Equal(6, map.Values[(2 * 5) + 4]);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], map.Distinct());
    }
}
