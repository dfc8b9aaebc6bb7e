using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using SkiaSharp;

namespace PaddleX.Cloud.Datasets.Tests;

/// <summary>Through real HTTP: the Kestrel server with its in-process worker.</summary>
public sealed class EndToEndTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Classification_imports_splits_reports_details_and_renders()
    {
        var did = await server.CreateDatasetAsync("classification");
        var empty = await server.GetAsync($"/dataset/details?did={did}");
        Assert.Null(empty["details"]);
        var src = Generate.Classification(Path.Combine(server.ImportRoot, "cls-" + did), 8);
        var state = await server.ImportAsync(did, src);
        Assert.Equal(4, (int)state["dataset_status"]!);

        var details = (await server.GetAsync($"/dataset/details?did={did}"))["details"]!;
        Assert.Equal(["cat", "dog"], details["labels"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(16, details["file_info"]!.AsObject().Count);
        Assert.Empty(details["train_files"]!.AsArray());

        var split = await server.SendAsync(HttpMethod.Put, "/dataset/split", new { did, val_split = 0.25, test_split = 0.25, seed = 11 });
        Assert.Equal(1, (int)split["status"]!);
        Assert.Equal(6, (int)(await server.GetAsync($"/dataset?did={did}"))["dataset_status"]!);
        details = (await server.GetAsync($"/dataset/details?did={did}"))["details"]!;
        Assert.Equal(8, details["train_files"]!.AsArray().Count);
        Assert.Equal(2, details["class_val_file_list"]!["cat"]!.AsArray().Count);
        var firstVal = details["val_files"]!.ToJsonString();
        await server.SendAsync(HttpMethod.Put, "/dataset/split", new { did, val_split = 0.25, test_split = 0.25, seed = 11 });
        Assert.Equal(firstVal, (await server.GetAsync($"/dataset/details?did={did}"))["details"]!["val_files"]!.ToJsonString());
        Assert.Equal(8, File.ReadAllLines(Path.Combine(server.DatasetDir(did), "train_list.txt")).Length);
        Assert.Equal("cat\ndog\n", File.ReadAllText(Path.Combine(server.DatasetDir(did), "labels.txt")));

        var picture = Path.Combine(server.DatasetDir(did), "cat", "cat_0.jpg");
        var raw = Convert.FromBase64String((string)(await server.GetAsync($"/file?path={Uri.EscapeDataString(picture)}"))["img_data"]!);
        var drawn = Convert.FromBase64String((string)(await server.GetAsync($"/file?path={Uri.EscapeDataString(picture)}&did={did}"))["img_data"]!);
        Assert.Equal(File.ReadAllBytes(picture), raw);
        using var image = SKBitmap.Decode(drawn);
        Assert.Equal((32, 32), (image.Width, image.Height));
        Assert.NotEqual(raw, drawn);
    }

    [Fact]
    public async Task Split_preconditions_and_refusals()
    {
        var did = await server.CreateDatasetAsync("classification");
        var early = await server.SendAsync(HttpMethod.Put, "/dataset/split", new { did, val_split = 0.2, test_split = 0.1 });
        Assert.Equal(-1, (int)early["status"]!);
        Assert.Equal(DatasetMessages.NotImported, (string)early["message"]!);

        await server.ImportAsync(did, Generate.Classification(Path.Combine(server.ImportRoot, "sp-" + did), 3));
        File.Delete(Path.Combine(server.DatasetDir(did), DatasetLayout.DetailsFile));
        var recheck = await server.SendAsync(HttpMethod.Put, "/dataset/split", new { did, val_split = 0.2, test_split = 0.1 });
        Assert.Equal(DatasetMessages.NeedsRecheck, (string)recheck["message"]!);

        await server.ImportAsync(did, Generate.Classification(Path.Combine(server.ImportRoot, "sp2-" + did), 3));
        var noVal = await server.SendAsync(HttpMethod.Put, "/dataset/split", new { did, val_split = 0.1, test_split = 0.1 });
        Assert.Equal(DatasetMessages.ValEmpty, (string)noVal["message"]!);
        var noTrain = await server.SendAsync(HttpMethod.Put, "/dataset/split", new { did, val_split = 0.5, test_split = 0.5 });
        Assert.Equal(DatasetMessages.TrainEmpty, (string)noTrain["message"]!);
    }

    [Fact]
    public async Task Detection_upload_of_a_zip_imports_it()
    {
        var did = await server.CreateDatasetAsync("detection");
        var folder = Generate.TempDir();
        var zip = Generate.Zip(Generate.Voc(Path.Combine(folder, "voc"), 4), Path.Combine(folder, "voc.zip"));
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(did), "did");
        var file = new ByteArrayContent(File.ReadAllBytes(zip));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        form.Add(file, "file", "voc.zip");
        using var response = await server.Client.PostAsync("/dataset/upload", form);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(1, (int)answer["status"]!);
        var state = await server.WaitAsync(did);
        Assert.Equal(4, (int)state["dataset_status"]!);
        Assert.True(File.Exists(Path.Combine(server.DatasetDir(did), "Annotations", "img3.xml")));
        Assert.False(Directory.Exists(Path.Combine(server.DatasetDir(did), DatasetLayout.UploadFolder)));

        var picture = Path.Combine(server.DatasetDir(did), "JPEGImages", "img0.jpg");
        var drawn = await server.GetAsync($"/file?path={Uri.EscapeDataString(picture)}&did={did}");
        using var image = SKBitmap.Decode(Convert.FromBase64String((string)drawn["img_data"]!));
        Assert.Equal(48, image.Width);
    }

    [Fact]
    public async Task Upload_with_a_zip_slip_entry_is_refused()
    {
        var did = await server.CreateDatasetAsync("detection");
        var zip = Path.Combine(Generate.TempDir(), "evil.zip");
        using (var archive = System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Create))
        {
            using var writer = new StreamWriter(archive.CreateEntry("../../evil.txt").Open());
            writer.Write("x");
        }

        using var form = new MultipartFormDataContent { { new StringContent(did), "did" }, { new ByteArrayContent(File.ReadAllBytes(zip)), "file", "evil.zip" } };
        using var response = await server.Client.PostAsync("/dataset/upload", form);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(-1, (int)answer["status"]!);
        Assert.Equal("path_not_allowed", (string)answer["code"]!);
        Assert.Equal(0, (int)(await server.GetAsync($"/dataset?did={did}"))["dataset_status"]!);
        Assert.Empty(Directory.EnumerateFiles(server.DatasetDir(did), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Instance_segmentation_pre_split_from_the_workspace_ends_splited()
    {
        var did = await server.CreateDatasetAsync("instance_segmentation");
        var src = Generate.CocoPreSplit(Path.Combine(server.Workspace, "incoming", "coco-" + did));
        var state = await server.ImportAsync(did, src);
        Assert.Equal(6, (int)state["dataset_status"]!);
        var details = (await server.GetAsync($"/dataset/details?did={did}"))["details"]!;
        Assert.Equal(2, details["val_files"]!.AsArray().Count);
        Assert.True(File.Exists(Path.Combine(server.DatasetDir(did), "annotations.json")));

        var picture = Path.Combine(server.DatasetDir(did), "JPEGImages", "img1.jpg");
        var drawn = await server.GetAsync($"/file?path={Uri.EscapeDataString(picture)}&did={did}");
        Assert.Equal(1, (int)drawn["status"]!);
    }

    [Fact]
    public async Task Segmentation_zip_in_an_import_root_is_imported()
    {
        var did = await server.CreateDatasetAsync("segmentation");
        var folder = Generate.TempDir();
        var zip = Generate.Zip(Generate.Segmentation(Path.Combine(folder, "seg"), 4, labels: true), Path.Combine(server.ImportRoot, $"seg-{did}.zip"));
        var state = await server.ImportAsync(did, zip);
        Assert.Equal(4, (int)state["dataset_status"]!);
        var details = (await server.GetAsync($"/dataset/details?did={did}"))["details"]!;
        Assert.Equal(["background", "road", "car"], details["labels"]!.AsArray().Select(n => (string)n!));
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("../outside")]
    [InlineData("ROOT/not-a-zip.txt")]
    public async Task Sources_outside_the_workspace_and_import_roots_are_refused(string path)
    {
        var did = await server.CreateDatasetAsync("classification");
        if (path.StartsWith("ROOT/", StringComparison.Ordinal))
        {
            path = Path.Combine(server.ImportRoot, path[5..]);
            await File.WriteAllTextAsync(path, "x");
        }

        var answer = await server.SendAsync(HttpMethod.Put, "/dataset", new { did, path });
        Assert.Equal(-1, (int)answer["status"]!);
        Assert.Equal("path_not_allowed", (string)answer["code"]!);
        Assert.Equal(0, (int)(await server.GetAsync($"/dataset?did={did}"))["dataset_status"]!);
    }

    [Fact]
    public async Task Unknown_dataset_is_reported_with_the_original_message()
    {
        var answer = await server.SendAsync(HttpMethod.Put, "/dataset", new { did = "D9999", path = server.ImportRoot });
        Assert.Equal("数据集ID'D9999'不存在.", (string)answer["message"]!);
    }

    [Fact]
    public async Task A_failed_check_leaves_the_dataset_empty_and_importable_again()
    {
        var did = await server.CreateDatasetAsync("classification");
        var bad = Generate.Classification(Path.Combine(server.ImportRoot, "bad-" + did), 3, ["only"]);
        var failed = await server.ImportAsync(did, bad);
        Assert.Equal(2, (int)failed["dataset_status"]!);
        Assert.Equal(DatasetMessages.TooFewClasses, (string)failed["message"]!);
        Assert.False(Directory.Exists(server.DatasetDir(did)) && Directory.EnumerateFileSystemEntries(server.DatasetDir(did)).Any());
        Assert.Null((await server.GetAsync($"/dataset/details?did={did}"))["details"]);

        var broken = Generate.Classification(Path.Combine(server.ImportRoot, "broken-" + did), 3);
        Generate.TruncatedJpeg(Path.Combine(broken, "dog", "zz.jpg"));
        var copyCheck = await server.ImportAsync(did, broken);
        Assert.Equal(2, (int)copyCheck["dataset_status"]!);
        Assert.Equal("图片文件dog/zz.jpg已损坏或无法解码", (string)copyCheck["message"]!);
        Assert.False(Directory.Exists(server.DatasetDir(did)) && Directory.EnumerateFileSystemEntries(server.DatasetDir(did)).Any());

        var good = await server.ImportAsync(did, Generate.Classification(Path.Combine(server.ImportRoot, "good-" + did), 3));
        Assert.Equal(4, (int)good["dataset_status"]!);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(server.Workspace, "datasets", ".staging")));
    }

    [Fact]
    public async Task A_second_import_replaces_the_first_cleanly()
    {
        var did = await server.CreateDatasetAsync("classification");
        await server.ImportAsync(did, Generate.Classification(Path.Combine(server.ImportRoot, "first-" + did), 3, ["cat", "dog"]));
        await server.SendAsync(HttpMethod.Put, "/dataset/split", new { did, val_split = 0.34, test_split = 0 });
        var second = await server.ImportAsync(did, Generate.Classification(Path.Combine(server.ImportRoot, "second-" + did), 3, ["red", "blue"]));
        Assert.Equal(4, (int)second["dataset_status"]!);
        var top = Directory.EnumerateFileSystemEntries(server.DatasetDir(did)).Select(Path.GetFileName).Order().ToList();
        Assert.Equal([".paddlex", "blue", "red"], top);
        var details = (await server.GetAsync($"/dataset/details?did={did}"))["details"]!;
        Assert.Equal(["blue", "red"], details["labels"]!.AsArray().Select(n => (string)n!));
        Assert.Empty(details["val_files"]!.AsArray());
    }

    [Fact]
    public async Task Cancelling_an_import_cleans_up_and_leaves_it_importable()
    {
        var did = await server.CreateDatasetAsync("classification");
        await server.ImportAsync(did, Generate.Classification(Path.Combine(server.ImportRoot, "pre-" + did), 2, ["old", "older"]));
        var src = Generate.Classification(Path.Combine(server.ImportRoot, "cancel-" + did), 3);
        var fifo = Fifo.Create(Path.Combine(src, "cat", "blocking.txt"));
        Assert.Equal(1, (int)(await server.SendAsync(HttpMethod.Put, "/dataset", new { did, path = src }))["status"]!);
        await Fifo.WaitForStatusAsync(server, did, 3);
        var progress = (await server.GetAsync($"/dataset?did={did}"))["message"]!;
        Assert.InRange((double)progress["percent"]!, 0, 100);
        Assert.True((int)progress["pid"]! > 0);
        Assert.Equal(1, (int)(await server.SendAsync(HttpMethod.Delete, "/system"))["status"]!); // stops every job
        await Task.Delay(1500);
        await Fifo.Release(fifo).WaitAsync(TimeSpan.FromSeconds(5));
        var state = await server.WaitAsync(did);
        Assert.Equal(0, (int)state["dataset_status"]!);
        Assert.Contains("取消", (string)state["message"]!, StringComparison.Ordinal);
        Assert.False(Directory.Exists(server.DatasetDir(did)) && Directory.EnumerateFileSystemEntries(server.DatasetDir(did)).Any());
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.Combine(server.Workspace, "datasets", ".staging")), e => Path.GetFileName(e).StartsWith(did, StringComparison.Ordinal));

        File.Delete(fifo);
        Assert.Equal(4, (int)(await server.ImportAsync(did, src))["dataset_status"]!);
    }

    [Fact]
    public async Task Deleting_a_dataset_while_it_imports_leaves_nothing_behind()
    {
        var did = await server.CreateDatasetAsync("classification");
        var src = Generate.Classification(Path.Combine(server.ImportRoot, "del-" + did), 3);
        var fifo = Fifo.Create(Path.Combine(src, "cat", "blocking.txt"));
        var answer = await server.SendAsync(HttpMethod.Put, "/dataset", new { did, path = src });
        Assert.Equal(1, (int)answer["status"]!);
        await Fifo.WaitForStatusAsync(server, did, 3); // copying, blocked on the pipe
        Assert.Equal(1, (int)(await server.SendAsync(HttpMethod.Delete, "/dataset", new { did }))["status"]!);
        await Task.Delay(1500); // the runner notices the deleted target within its check interval
        var writer = Fifo.Release(fifo);
        var clock = Stopwatch.StartNew();
        var staging = Path.Combine(server.Workspace, "datasets", ".staging");
        while (Directory.EnumerateFileSystemEntries(staging).Any(e => Path.GetFileName(e).StartsWith(did, StringComparison.Ordinal)) && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        await writer.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(staging), e => Path.GetFileName(e).StartsWith(did, StringComparison.Ordinal));
        await Task.Delay(300);
        Assert.False(Directory.Exists(server.DatasetDir(did)));
        var list = await server.GetAsync("/dataset");
        Assert.DoesNotContain(list["datasets"]!.AsArray(), d => (string)d!["id"]! == did);
    }
}

/// <summary>Without a worker, an import stays "checking": a second one is refused.</summary>
public sealed class ImportWithoutWorkerTests(NoWorkerServerFixture server) : IClassFixture<NoWorkerServerFixture>
{
    [Fact]
    public async Task A_second_import_while_one_runs_is_refused()
    {
        var did = await server.CreateDatasetAsync("classification");
        var src = Generate.Classification(Path.Combine(server.ImportRoot, "a"), 2);
        Assert.Equal(1, (int)(await server.SendAsync(HttpMethod.Put, "/dataset", new { did, path = src }))["status"]!);
        var state = await server.GetAsync($"/dataset?did={did}");
        Assert.Equal(1, (int)state["dataset_status"]!);
        var again = await server.SendAsync(HttpMethod.Put, "/dataset", new { did, path = src });
        Assert.Equal(-1, (int)again["status"]!);
        Assert.Equal("job_running", (string)again["code"]!);
        var split = await server.SendAsync(HttpMethod.Put, "/dataset/split", new { did, val_split = 0.2, test_split = 0 });
        Assert.Equal(DatasetMessages.NotImported, (string)split["message"]!);
    }
}

internal static class Fifo
{
    public static string Create(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    /// <summary>Opens the pipe for writing and closes it, so a reader blocked on it sees an empty file.</summary>
    public static Task Release(string path) => Task.Run(() =>
    {
        using var writer = new FileStream(path, FileMode.Open, FileAccess.Write);
    });

    public static async Task WaitForStatusAsync(ServerFixture server, string did, int status)
    {
        var clock = Stopwatch.StartNew();
        while ((int)(await server.GetAsync($"/dataset?did={did}"))["dataset_status"]! != status)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"dataset never reached status {status}");
            await Task.Delay(25);
        }
    }
}
