using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>A corpus of path escapes against every route that takes a path, plus links planted in
/// the workspace, link entries in zips, exports, model copies and deletes through links. Content
/// markers and file hashes show that nothing outside the workspace is read, written or deleted, and
/// nothing inside is deleted that a request did not create.</summary>
public sealed class PathEscapeTests : ServerTestBase
{
    private static readonly string Marker = "OUTSIDE-MARKER-" + Guid.NewGuid().ToString("N");

    private string outside = string.Empty;

    [Fact]
    public async Task Nothing_outside_the_workspace_is_read_written_or_deleted()
    {
        outside = TempFolder.Create("outside");
        PlantOutside();
        var workspace = Server.Workspace;
        PlantLinks(workspace);
        var (did, pid, tid) = await CreateTaskAsync(TinyTraining.ResNet18(1, 1));
        var outsideBefore = Snapshot(outside);
        var insideBefore = Snapshot(workspace);

        var corpus = Corpus(workspace);
        Assert.True(corpus.Distinct().Count() >= 100, $"only {corpus.Distinct().Count()} distinct variants");
        var accepted = new List<string>();
        foreach (var variant in corpus)
        {
            AssertNoLeak(await GetRawAsync($"/file?path={Uri.EscapeDataString(variant)}"), variant);
            AssertNoLeak(await GetRawAsync($"/file?path={RawQuery(variant)}"), variant);
            AssertNoLeak(await Api.PutAsync("/dataset", new { did, path = variant }), variant);
            await WaitUntilIdleAsync(did);
            var exported = await Api.PostAsync("/model", new { type = "exported", pid, tid, name = "m", path = variant });
            AssertNoLeak(exported, variant);
            if (exported["status"]!.GetValue<int>() == 1)
            {
                accepted.Add(variant);
                Expect.Ok(await Api.DeleteAsync("/model", new { type = "exported", emid = exported["emid"]!.GetValue<string>() }));
            }

            var pretrained = await Api.PostAsync("/model", new { type = "pretrained", pid, tid, name = "m", source_path = variant });
            AssertNoLeak(pretrained, variant);
            AssertNoLeak(await Api.PostAsync("/project/task/export", new { type = "infer", tid, save_dir = variant }), variant);
            AssertNoLeak(await Api.PostAsync("/project/task/params", new { tid, train = new JsonObject { ["pretrain_weights"] = variant }.ToJsonString() }), variant);
        }

        Assert.Contains("exports/fresh", accepted); // the accept-then-delete path was exercised too
        Assert.Equal(outsideBefore, Snapshot(outside));
        AssertNothingInsideLost(insideBefore, Snapshot(workspace));
        AssertNoMarkerInside(workspace);
    }

    [Fact]
    public async Task Model_paths_naming_store_folders_or_other_entities_are_refused_and_delete_removes_only_the_models_files()
    {
        var (did, pid, tid) = await CreateTaskAsync(TinyTraining.ResNet18(1, 1));
        var own = Expect.Ok(await Api.PostAsync("/model", new { type = "exported", pid, tid, name = "own", path = "exports/own" }))["emid"]!.GetValue<string>();
        await WriteFileAsync("weights/model.txt", "w");
        var pmid = Expect.Ok(await Api.PostAsync("/model", new { type = "pretrained", pid, tid, name = "pm", source_path = "weights" }))["pmid"]!.GetValue<string>();
        var before = Snapshot(Server.Workspace);
        foreach (var path in new[]
                 {
                     "datasets", "projects", "pretrain", "", ".", "/", Server.Workspace, "workspace.newest.pb", "workspace.bak.pb", ".jobs",
                     $"datasets/{did}", $"projects/{pid}", $"projects/{pid}/{tid}", $"pretrain/{pmid}", "exports/own", "exports", "exports/own/inner",
                     Path.Combine(Server.Workspace, "datasets"), "datasets/../projects",
                 })
        {
            Expect.Error(await Api.PostAsync("/model", new { type = "exported", pid, tid, name = "x", path }), "path_not_allowed");
        }

        Assert.Equal(before, Snapshot(Server.Workspace));

        // A file the user adds later, and links in the folder, survive the model's deletion; what it wrote goes.
        var folder = Path.Combine(Server.Workspace, "exports", "own");
        await File.WriteAllTextAsync(Path.Combine(folder, "user.txt"), "mine");
        outside = TempFolder.Create("outside");
        PlantOutside();
        var outsideBefore = Snapshot(outside);
        File.CreateSymbolicLink(Path.Combine(folder, "out_dir"), outside);
        File.CreateSymbolicLink(Path.Combine(folder, "out_file.txt"), Path.Combine(outside, "secret.txt"));
        Expect.Ok(await Api.DeleteAsync("/model", new { type = "exported", emid = own }));
        Assert.True(File.Exists(Path.Combine(folder, "user.txt")));
        Assert.False(File.Exists(Path.Combine(folder, "params.json")));
        Assert.Equal(outsideBefore, Snapshot(outside));
        Expect.Ok(await Api.DeleteAsync("/model", new { type = "pretrained", pmid }));
        var after = Snapshot(Server.Workspace);
        Assert.All(before.Keys.Where(p => !p.StartsWith("exports/own/", StringComparison.Ordinal) && !p.StartsWith("pretrain/", StringComparison.Ordinal) && !p.StartsWith("workspace.", StringComparison.Ordinal)), p => Assert.Contains(p, after.Keys));
        Assert.True(File.Exists(Path.Combine(Server.Workspace, "weights", "model.txt")));
        Assert.False(Directory.Exists(Path.Combine(Server.Workspace, "pretrain", pmid)));
    }

    [Fact]
    public async Task Deleting_an_exported_model_removes_the_folder_it_created_and_never_one_it_found()
    {
        var (_, pid, tid) = await CreateTaskAsync(TinyTraining.ResNet18(1, 1));
        var found = Path.Combine(Server.Workspace, "exports", "found");
        Directory.CreateDirectory(found); // made by the user, empty
        var emids = new List<string>();
        foreach (var path in new[] { "exports/new/model", "exports/found" })
        {
            emids.Add(Expect.Ok(await Api.PostAsync("/model", new { type = "exported", pid, tid, name = "m", path }))["emid"]!.GetValue<string>());
        }

        Assert.True(File.Exists(Path.Combine(Server.Workspace, "exports", "new", "model", "params.json")));
        foreach (var emid in emids)
        {
            Expect.Ok(await Api.DeleteAsync("/model", new { type = "exported", emid }));
        }

        Assert.False(Directory.Exists(Path.Combine(Server.Workspace, "exports", "new", "model")));
        Assert.True(Directory.Exists(Path.Combine(Server.Workspace, "exports", "new"))); // only the model's own folder goes
        Assert.True(Directory.Exists(found));
        Assert.Empty(Directory.EnumerateFileSystemEntries(found));
    }

    [Fact]
    public async Task Exports_copies_and_imports_do_not_follow_links_out()
    {
        outside = TempFolder.Create("outside");
        PlantOutside();
        var workspace = Server.Workspace;
        var source = ShapesDataset.Write(Path.Combine(workspace, "import", "shapes"), 6);
        var did = await CreateDatasetAsync("shapes");
        Expect.Ok(await Api.PutAsync("/dataset", new { did, path = source }));
        await WaitUntilIdleAsync(did);
        Expect.Ok(await Api.PutAsync("/dataset/split", new { did, val_split = 0.25, test_split = 0.0, seed = 1 }));
        var pid = await CreateProjectAsync();
        Expect.Ok(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { did } }));
        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = TinyTraining.ResNet18(1, 1).ToJsonString() }))["tid"]!.GetValue<string>();
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid }));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/project/task", new { tid }))["task_status"]!.GetValue<int>() is 4 or 10, TimeSpan.FromMinutes(3));

        // An export whose save_dir already holds links to outside files replaces the links.
        var saveDir = Path.Combine(workspace, "exports", "linked");
        Directory.CreateDirectory(saveDir);
        File.CreateSymbolicLink(Path.Combine(saveDir, "model.onnx"), Path.Combine(outside, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(saveDir, "model.json"), Path.Combine(outside, "secret.json"));
        var outsideBefore = Snapshot(outside);
        Expect.Ok(await Api.PostAsync("/project/task/export", new { type = "infer", tid, save_dir = saveDir }));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/project/task/export", new { tid }))["export_status"]?.GetValue<int>() is 7 or 8, TimeSpan.FromMinutes(2));
        Assert.Equal(7, (await Api.GetAsync("/project/task/export", new { tid }))["export_status"]!.GetValue<int>());
        Assert.Null(new FileInfo(Path.Combine(saveDir, "model.onnx")).LinkTarget);
        Assert.Equal(outsideBefore, Snapshot(outside));
        Directory.CreateDirectory(Path.Combine(workspace, "exports", "sub"));
        File.CreateSymbolicLink(Path.Combine(workspace, "exports", "sub", "deep"), outside);
        Expect.Error(await Api.PostAsync("/project/task/export", new { type = "infer", tid, save_dir = "exports/sub/deep/x" }), "path_not_allowed");

        // A pretrained model copied from a folder holding links gets none of the outside content.
        var withLinks = Path.Combine(workspace, "import", "weights");
        Directory.CreateDirectory(withLinks);
        await File.WriteAllTextAsync(Path.Combine(withLinks, "model.txt"), "inside");
        File.CreateSymbolicLink(Path.Combine(withLinks, "stolen.txt"), Path.Combine(outside, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(withLinks, "stolen_dir"), outside);
        var pmid = Expect.Ok(await Api.PostAsync("/model", new { type = "pretrained", pid, tid, name = "p", source_path = withLinks }))["pmid"]!.GetValue<string>();
        Assert.False(File.Exists(Path.Combine(workspace, "pretrain", pmid, "stolen.txt")));
        AssertNoLeak(await GetRawAsync($"/file?path={Uri.EscapeDataString(Path.Combine(withLinks, "stolen.txt"))}"), "stolen.txt");

        // A zip whose entries are links imports no link (and no outside content).
        var zip = Path.Combine(TempFolder.Create("zip"), "links.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            foreach (var (name, target) in new[] { ("bar/evil.png", Path.Combine(outside, "secret.jpg")), ("disc/dir", outside) })
            {
                var entry = archive.CreateEntry(name);
                entry.ExternalAttributes = unchecked((int)(0xA1FFu << 16)); // S_IFLNK | 0777
                using var writer = new StreamWriter(entry.Open());
                writer.Write(target);
            }
        }

        var zipDid = await CreateDatasetAsync("zip");
        using (var form = new MultipartFormDataContent { { new StringContent(zipDid), "did" }, { new ByteArrayContent(await File.ReadAllBytesAsync(zip)), "file", "links.zip" } })
        using (await Api.Http.PostAsync("/dataset/upload", form))
        {
        }

        await WaitUntilIdleAsync(zipDid);
        Assert.DoesNotContain(Walk(Path.Combine(workspace, "datasets")), p => new FileInfo(p).LinkTarget is not null);
        Assert.Equal(outsideBefore, Snapshot(outside));
        AssertNoMarkerInside(workspace);
    }

    /// <summary>A GET answered with any status; the body must be a JSON object.</summary>
    private async Task<JsonObject> GetRawAsync(string pathAndQuery)
    {
        using var response = await Api.Http.GetAsync(new Uri(pathAndQuery, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{pathAndQuery}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException($"{pathAndQuery}: not a JSON object: {text}");
    }

    /// <summary>The variant as a client would type it into a query string: only what would break the URL escaped.</summary>
    private static string RawQuery(string variant) =>
        variant.Contains('%', StringComparison.Ordinal)
            ? variant // percent-encoded variants are meant to be decoded by the server
            : variant.Replace("\0", "%00", StringComparison.Ordinal).Replace("#", "%23", StringComparison.Ordinal).Replace("&", "%26", StringComparison.Ordinal).Replace(" ", "%20", StringComparison.Ordinal);

    private void PlantOutside()
    {
        File.WriteAllText(Path.Combine(outside, "secret.txt"), Marker);
        File.WriteAllText(Path.Combine(outside, "secret.json"), $"{{\"m\":\"{Marker}\"}}");
        File.WriteAllText(Path.Combine(outside, "secret.jpg"), Marker);
        Directory.CreateDirectory(Path.Combine(outside, "sub"));
        File.WriteAllText(Path.Combine(outside, "sub", "inner.txt"), Marker);
    }

    private void PlantLinks(string workspace)
    {
        var links = Path.Combine(workspace, "links");
        Directory.CreateDirectory(links);
        File.CreateSymbolicLink(Path.Combine(links, "file_out"), Path.Combine(outside, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(links, "jpg_out.jpg"), Path.Combine(outside, "secret.jpg"));
        File.CreateSymbolicLink(Path.Combine(links, "json_out.json"), Path.Combine(outside, "secret.json"));
        File.CreateSymbolicLink(Path.Combine(links, "dir_out"), outside);
        var import = Path.Combine(workspace, "import", "evil", "bar");
        Directory.CreateDirectory(import);
        File.CreateSymbolicLink(Path.Combine(import, "a.jpg"), Path.Combine(outside, "secret.jpg"));
        File.CreateSymbolicLink(Path.Combine(workspace, "import", "evil", "disc"), outside);
        Directory.CreateDirectory(Path.Combine(workspace, "keep"));
        File.WriteAllText(Path.Combine(workspace, "keep", "inside.txt"), "INSIDE");
    }

    private List<string> Corpus(string workspace)
    {
        var o = outside;
        var name = Path.GetFileName(o);
        var up = string.Concat(Enumerable.Repeat("../", 12));
        return
        [
            o, $"{o}/secret.txt", $"{o}/secret.jpg", $"{o}/secret.json", $"{o}/sub", $"{o}/sub/inner.txt", "/etc/passwd", "/", "//etc/passwd",
            $"/{o}", $"{workspace}/../{name}/secret.txt", $"{workspace}/links/../../{name}/secret.jpg", $"{workspace}/..", $"{workspace}x/secret.txt",
            "..", "../", "../..", $"{up}etc/passwd", $"{up}{o.TrimStart('/')}/secret.txt", "datasets/../../x", "./../x", "links/../../x", "keep/../../keep",
            "%2e%2e/%2e%2e/etc/passwd", "..%2f..%2fetc%2fpasswd", "%252e%252e%252fetc", "..%c0%af..%c0%afetc", "..%00/etc",
            "\u2025/etc/passwd", "\uff0e\uff0e/\uff0e\uff0e/etc/passwd", "\u2024\u2024/x", ". ./. ./etc", "...", "....//....//etc",
            "..\\..\\etc\\passwd", "links\\file_out", "datasets\\..\\..\\x", $"{o.Replace('/', '\\')}\\secret.txt",
            "keep/inside.txt\0.jpg", "\0", $"{o}\0/secret.txt", "links/jpg_out.jpg\0",
            $"file://{o}/secret.txt", "http://127.0.0.1/secret", "~/secret", "~root/.ssh",
            "links/file_out", "links/jpg_out.jpg", "links/json_out.json", "links/dir_out", "links/dir_out/secret.txt", "links/dir_out/sub/inner.txt",
            $"{workspace}/links/dir_out/secret.jpg", $"{workspace}/links/jpg_out.jpg", "links/dir_out/", "links/./dir_out/sub",
            "import/evil", $"{workspace}/import/evil", "import/evil/disc", "import/evil/bar/a.jpg",
            string.Empty, ".", workspace, "datasets", "projects", "pretrain", "workspace.newest.pb", ".jobs", "datasets/D0001", "projects/P0001",
            "projects/P0001/T0001", "keep", "keep/inside.txt", "exports/fresh", "exports/fresh2/",
            $"{workspace}/links/file_out", $"{workspace}/links/json_out.json", $"{workspace}/links/dir_out/sub", $"{workspace}/import/evil/bar/a.jpg",
            $"{workspace}/import/evil/disc/secret.txt", "import/evil/disc/secret.txt", "import/evil/disc/sub/inner.txt", "./links/file_out",
            "links//file_out", "links/./file_out", "links/file_out/", "links/dir_out/.", "links/dir_out/..", $"/./{o}/secret.txt", $"{o}/./secret.txt",
            $"{o}//secret.txt", $"{o}/sub/../secret.txt", "datasets/D0001/../../../etc/passwd", "projects/P0001/T0001/../../../..", "pretrain/../..",
            "%2e%2e", "%2E%2E%2F%2E%2E%2Fetc", "..%5c..%5cetc", "%c0%ae%c0%ae/etc", "\0../x", "..\u2215etc", "..\uff0fetc", "\u002e\u002e/\u002e\u002e/etc/passwd",
            " ../x", "../x ", "\t..", "/proc/self/environ", "/dev/zero", "/proc/self/cwd/PaddleX.Cloud.Server.dll", "C:\\Windows\\win.ini", "\\\\?\\C:\\x",
        ];
    }

    private static void AssertNoLeak(JsonObject reply, string variant)
    {
        var text = reply.ToJsonString();
        Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Marker))[..20], text, StringComparison.Ordinal);
        Assert.True(reply["status"] is not null, $"{variant}: {text}");
    }

    /// <summary>Path → SHA-256 of every file (links not followed: a link is recorded by its target).</summary>
    private static SortedDictionary<string, string> Snapshot(string root)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Walk(root))
        {
            var info = new FileInfo(path);
            var relative = Path.GetRelativePath(root, path);
            if (info.LinkTarget is not null)
            {
                files[relative] = "link " + info.LinkTarget;
            }
            else if (File.Exists(path))
            {
                files[relative] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
            }
        }

        return files;
    }

    /// <summary>Everything that was inside before is still there unchanged, except the metadata and job files the service rewrites.</summary>
    /// <summary>Every entry under a folder, links listed but never entered.</summary>
    private static IEnumerable<string> Walk(string root) =>
        new System.IO.Enumeration.FileSystemEnumerable<string>(root, (ref System.IO.Enumeration.FileSystemEntry e) => e.ToFullPath(), new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
        {
            ShouldRecursePredicate = (ref System.IO.Enumeration.FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
        };

    private static void AssertNothingInsideLost(SortedDictionary<string, string> before, SortedDictionary<string, string> after)
    {
        foreach (var (path, hash) in before)
        {
            if (path.StartsWith("workspace.", StringComparison.Ordinal) || path.StartsWith(".jobs", StringComparison.Ordinal))
            {
                continue;
            }

            Assert.True(after.TryGetValue(path, out var now), $"{path} was deleted");
            Assert.True(now == hash || path.EndsWith(".json", StringComparison.Ordinal), $"{path} was changed");
        }
    }

    private static void AssertNoMarkerInside(string workspace)
    {
        foreach (var path in Walk(workspace))
        {
            if (File.Exists(path) && new FileInfo(path).LinkTarget is null)
            {
                Assert.DoesNotContain(Marker, File.ReadAllText(path), StringComparison.Ordinal);
            }
        }
    }

    private async Task WaitUntilIdleAsync(string did) =>
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/dataset", new { did }))["dataset_status"]!.GetValue<int>() is not (1 or 3), TimeSpan.FromMinutes(2));
}
