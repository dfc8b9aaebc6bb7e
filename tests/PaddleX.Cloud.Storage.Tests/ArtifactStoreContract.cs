using System.Text;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>The contract of <see cref="IArtifactStore"/>: every adapter passes the same assertions.</summary>
public abstract class ArtifactStoreContract : IDisposable
{
    private readonly List<string> temporaryDirectories = [];

    /// <summary>A store over a fresh, empty workspace (one per test).</summary>
    protected abstract IArtifactStore Store { get; }

    /// <summary>What <see cref="IArtifactStore.ToDisplayPath"/> must answer for a relative path.</summary>
    protected abstract string ExpectedDisplayPath(string relativePath);

    /// <summary>An absolute path or URL that names <paramref name="relativePath"/> inside this workspace,
    /// in the form clients of this mode send (local: absolute path; cloud: blob URL).</summary>
    protected abstract string AbsoluteFormOf(string relativePath);

    protected static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    protected async Task<string> ReadTextAsync(string path)
    {
        await using var stream = await Store.OpenReadAsync(path);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    protected string NewTemporaryDirectory()
    {
        var directory = TempFolders.Create("art");
        Directory.CreateDirectory(directory);
        temporaryDirectories.Add(directory);
        return directory;
    }

    [Fact]
    public async Task Write_read_exists()
    {
        Assert.False(await Store.ExistsAsync("datasets/D0001/labels.txt"));
        await Store.WriteAsync("datasets/D0001/labels.txt", Text("cat\ndog\n"));
        Assert.True(await Store.ExistsAsync("datasets/D0001/labels.txt"));
        Assert.Equal("cat\ndog\n", await ReadTextAsync("datasets/D0001/labels.txt"));
        Assert.False(await Store.ExistsAsync("datasets/D0001"));
    }

    [Fact]
    public async Task Reading_a_missing_file_throws_FileNotFound()
    {
        await Assert.ThrowsAsync<FileNotFoundException>(async () => await Store.OpenReadAsync("nope/missing.txt"));
    }

    [Fact]
    public async Task Unicode_paths_and_contents_round_trip()
    {
        const string path = "datasets/D0001/图片/猫 1.txt";
        await Store.WriteAsync(path, Text("内容 ✓"));
        Assert.Equal("内容 ✓", await ReadTextAsync(path));
        Assert.Equal([path], (await Store.ListAsync("datasets/D0001")).Select(e => e.Path));
    }

    [Fact]
    public async Task List_is_recursive_ordered_and_sized()
    {
        await Store.WriteAsync("t/b.txt", Text("bb"));
        await Store.WriteAsync("t/a/z.txt", Text("zzz"));
        await Store.WriteAsync("t/a/y.txt", Text("y"));
        await Store.WriteAsync("other/x.txt", Text("x"));
        await Store.WriteAsync("tt/not-under-t.txt", Text("x"));
        var entries = await Store.ListAsync("t");
        Assert.Equal(["t/a/y.txt", "t/a/z.txt", "t/b.txt"], entries.Select(e => e.Path));
        Assert.Equal([1L, 3L, 2L], entries.Select(e => e.Length));
        Assert.All(entries, e => Assert.True(e.LastModified > DateTimeOffset.UtcNow.AddHours(-1)));
        Assert.Equal(entries, await Store.ListAsync("t/"));
        Assert.Empty(await Store.ListAsync("missing"));
        Assert.Equal(5, (await Store.ListAsync(string.Empty)).Count(e => !e.Path.StartsWith('.')));
    }

    [Fact]
    public async Task Delete_a_file_a_folder_and_a_missing_path()
    {
        await Store.WriteAsync("d/keep.txt", Text("k"));
        await Store.WriteAsync("d/sub/1.txt", Text("1"));
        await Store.WriteAsync("d/sub/deep/2.txt", Text("2"));
        await Store.DeleteAsync("d/keep.txt");
        Assert.False(await Store.ExistsAsync("d/keep.txt"));
        await Store.DeleteAsync("d/sub");
        Assert.Empty(await Store.ListAsync("d"));
        await Store.DeleteAsync("d/never-was.txt");
        await Store.DeleteAsync("never/was");
    }

    [Fact]
    public async Task Replace_is_atomic_for_readers()
    {
        var a = new string('a', 256 * 1024);
        var b = new string('b', 256 * 1024);
        await Store.WriteAsync("atomic/file.bin", Text(a));
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            var reads = 0;
            while (!stop.IsCancellationRequested || reads < 3)
            {
                var text = await ReadTextAsync("atomic/file.bin");
                Assert.True(text == a || text == b, "a reader saw a mix or a part of two writes");
                reads++;
            }

            return reads;
        });
        for (var i = 0; i < 6; i++)
        {
            await Store.WriteAsync("atomic/file.bin", Text(i % 2 == 0 ? b : a));
        }

        await stop.CancelAsync();
        Assert.True(await reader >= 3);
        Assert.Equal(a, await ReadTextAsync("atomic/file.bin"));
        Assert.Equal(["atomic/file.bin"], (await Store.ListAsync("atomic")).Select(e => e.Path));
    }

    [Fact]
    public void Display_path()
    {
        Assert.Equal(ExpectedDisplayPath("datasets/D0001"), Store.ToDisplayPath("datasets/D0001"));
    }

    [Theory]
    [InlineData("datasets/D0001/a.txt", "datasets/D0001/a.txt")]
    [InlineData("datasets/D0001", "datasets/D0001")]
    [InlineData("./datasets//D0001/./x.png", "datasets/D0001/x.png")]
    public void TryResolve_accepts_relative_paths_inside(string userPath, string expected)
    {
        Assert.True(Store.TryResolve(userPath, out var relative));
        Assert.Equal(expected, relative);
    }

    [Theory]
    [InlineData("../outside.txt")]
    [InlineData("datasets/../../outside")]
    [InlineData("datasets/D0001/../../../etc/passwd")]
    [InlineData("..\\windows")]
    [InlineData("/etc/passwd")]
    [InlineData("/")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a\0b")]
    [InlineData("https://evil.example.com/devstoreaccount1/paddlex/x")]
    [InlineData("file:///etc/passwd")]
    public void TryResolve_refuses_paths_that_leave_the_workspace(string userPath)
    {
        Assert.False(Store.TryResolve(userPath, out _));
    }

    [Fact]
    public void TryResolve_accepts_the_absolute_form_of_a_path_inside()
    {
        Assert.True(Store.TryResolve(AbsoluteFormOf("datasets/D0001/img 1.jpg"), out var relative));
        Assert.Equal("datasets/D0001/img 1.jpg", relative);
    }

    [Fact]
    public async Task Materialize_gives_local_files_and_publish_stores_a_folder()
    {
        await Store.WriteAsync("datasets/D0001/a.txt", Text("A"));
        await Store.WriteAsync("datasets/D0001/sub/b.txt", Text("BB"));
        var local = await Store.MaterializeAsync("datasets/D0001");
        Assert.Equal("A", await File.ReadAllTextAsync(Path.Combine(local, "a.txt")));
        Assert.Equal("BB", await File.ReadAllTextAsync(Path.Combine(local, "sub", "b.txt")));

        var output = NewTemporaryDirectory();
        Directory.CreateDirectory(Path.Combine(output, "best_model"));
        await File.WriteAllTextAsync(Path.Combine(output, "best_model", "model.pdparams"), "weights");
        await File.WriteAllTextAsync(Path.Combine(output, "log.txt"), "epoch 1");
        await Store.PublishAsync(output, "tasks/T0001/output");
        Assert.Equal(["tasks/T0001/output/best_model/model.pdparams", "tasks/T0001/output/log.txt"], (await Store.ListAsync("tasks/T0001")).Select(e => e.Path));
        Assert.Equal("weights", await ReadTextAsync("tasks/T0001/output/best_model/model.pdparams"));
    }

    [Fact]
    public async Task Files_written_into_a_materialized_folder_publish_back()
    {
        await Store.WriteAsync("tasks/T0002/output/old.txt", Text("old"));
        var local = await Store.MaterializeAsync("tasks/T0002/output");
        await File.WriteAllTextAsync(Path.Combine(local, "new.txt"), "new");
        await Store.PublishAsync(local, "tasks/T0002/output");
        Assert.Equal(["tasks/T0002/output/new.txt", "tasks/T0002/output/old.txt"], (await Store.ListAsync("tasks/T0002/output")).Select(e => e.Path));
        Assert.Equal("new", await ReadTextAsync("tasks/T0002/output/new.txt"));

        // A change in the store reaches a later materialization.
        await Store.WriteAsync("tasks/T0002/output/old.txt", Text("changed"));
        var again = await Store.MaterializeAsync("tasks/T0002/output");
        Assert.Equal("changed", await File.ReadAllTextAsync(Path.Combine(again, "old.txt")));
    }

    public void Dispose()
    {
        foreach (var directory in temporaryDirectories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }

        DisposeStore();
        GC.SuppressFinalize(this);
    }

    protected virtual void DisposeStore()
    {
    }
}

public sealed class LocalArtifactStoreTests : ArtifactStoreContract
{
    private readonly string root = TempFolders.Create("ws");
    private readonly Local.LocalArtifactStore store;

    public LocalArtifactStoreTests() => store = new Local.LocalArtifactStore(root);

    protected override IArtifactStore Store => store;

    protected override string ExpectedDisplayPath(string relativePath) => Path.Combine(store.Root, relativePath);

    protected override string AbsoluteFormOf(string relativePath) => Path.Combine(store.Root, relativePath);

    [Fact]
    public void TryResolve_refuses_a_symbolic_link_pointing_out()
    {
        var outside = NewTemporaryDirectory();
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "secret");
        Directory.CreateDirectory(Path.Combine(root, "datasets"));
        Directory.CreateSymbolicLink(Path.Combine(root, "datasets", "escape"), outside);
        Assert.False(store.TryResolve("datasets/escape/secret.txt", out _));
        Assert.False(store.TryResolve(Path.Combine(root, "datasets", "escape"), out _));
        Assert.False(store.TryResolve(Path.Combine(outside, "secret.txt"), out _));
    }

    [Fact]
    public void TryResolve_refuses_an_absolute_path_outside()
    {
        Assert.False(store.TryResolve(root + "-sibling/x.txt", out _));
        Assert.False(store.TryResolve(Path.GetTempPath(), out _));
    }

    protected override void DisposeStore()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

public sealed class BlobArtifactStoreTests : ArtifactStoreContract
{
    private readonly Azure.Blobs.BlobArtifactStore store;
    private readonly string cache = TempFolders.Create("blob-cache");

    public BlobArtifactStoreTests()
    {
        var backends = Emulators.Backends;
        var container = backends.CreateBlobContainerClient();
        container.CreateIfNotExists();
        store = new Azure.Blobs.BlobArtifactStore(container, Emulators.NewWorkspaceId(), cache);
    }

    protected override IArtifactStore Store => store;

    protected override string ExpectedDisplayPath(string relativePath) => relativePath;

    protected override string AbsoluteFormOf(string relativePath) => store.BlobUri(relativePath).ToString();

    [Fact]
    public void TryResolve_refuses_urls_of_other_workspaces_accounts_and_schemes()
    {
        var inside = store.BlobUri("datasets/D0001/a.txt");
        Assert.True(store.TryResolve(inside + "?sv=2024&sig=abc", out var relative));
        Assert.Equal("datasets/D0001/a.txt", relative);

        var otherWorkspace = inside.ToString().Replace("/" + store.WorkspaceId + "/", "/someone-else/", StringComparison.Ordinal);
        Assert.False(store.TryResolve(otherWorkspace, out _));
        var otherPort = new UriBuilder(inside) { Port = inside.Port + 1 }.Uri.ToString();
        Assert.False(store.TryResolve(otherPort, out _));
        var otherHost = new UriBuilder(inside) { Host = "evil.example.com" }.Uri.ToString();
        Assert.False(store.TryResolve(otherHost, out _));
        var dotted = inside.ToString().Replace("/datasets/", "/datasets/../../someone-else/", StringComparison.Ordinal);
        Assert.False(store.TryResolve(dotted, out _));
        var encoded = inside.ToString().Replace("/datasets/", "/datasets/%2e%2e/%2e%2e/x/", StringComparison.Ordinal);
        Assert.False(store.TryResolve(encoded, out _));
        Assert.False(store.TryResolve(store.BlobUri("x").ToString().Replace("/x", "/", StringComparison.Ordinal), out _));
    }

    [Fact]
    public async Task Materialize_skips_unchanged_files()
    {
        await store.WriteAsync("m/a.txt", Text("same"));
        var local = await store.MaterializeAsync("m");
        var file = Path.Combine(local, "a.txt");
        var stamp = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, stamp);
        await store.MaterializeAsync("m");
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(file));

        await store.WriteAsync("m/a.txt", Text("diff")); // same length, new ETag
        await store.MaterializeAsync("m");
        Assert.Equal("diff", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task Workspaces_do_not_see_each_other()
    {
        await store.WriteAsync("x/a.txt", Text("a"));
        var other = new Azure.Blobs.BlobArtifactStore(Emulators.Backends.CreateBlobContainerClient(), Emulators.NewWorkspaceId(), cache + "-other");
        Assert.Empty(await other.ListAsync(string.Empty));
        Assert.False(await other.ExistsAsync("x/a.txt"));
    }

    protected override void DisposeStore()
    {
        foreach (var directory in new[] { cache, cache + "-other" }.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
