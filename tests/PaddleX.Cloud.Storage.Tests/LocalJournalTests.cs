using Google.Protobuf;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Storage.Ports;
using Task = System.Threading.Tasks.Task;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>The local store's files: journal, snapshot, compaction and recovery.</summary>
public sealed class LocalJournalTests : IDisposable
{
    private readonly string directory = TempFolders.Create("journal");

    private string Journal => Path.Combine(directory, MetadataJournal.ActiveName);

    private string Snapshot => Path.Combine(directory, WorkspaceFile.NewestName);

    [Fact]
    public async Task Changes_are_appended_to_the_journal_and_recovered_without_a_clean_stop()
    {
        var store = new LocalMetadataStore(directory);
        for (var i = 0; i < 3; i++)
        {
            await store.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "d" + i });
        }

        await store.Datasets.UpdateAsync("D0002", d => d.Desc = "changed");
        await store.Datasets.DeleteAsync("D0001");
        Assert.True(File.Exists(Journal));
        Assert.False(File.Exists(Snapshot));

        var recovered = new LocalMetadataStore(directory); // the first one is never stopped
        Assert.Equal(["D0002", "D0003"], (await recovered.Datasets.ListAsync()).Select(d => d.Id));
        Assert.Equal("changed", (await recovered.Datasets.GetAsync("D0002"))!.Desc);
        Assert.Equal("D0004", (await recovered.Datasets.CreateAsync(id => new Dataset { Id = id })).Id);
    }

    [Fact]
    public async Task A_journal_tail_cut_off_by_a_crash_is_dropped_and_writing_goes_on()
    {
        var store = new LocalMetadataStore(directory);
        await store.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "kept" });
        await store.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "kept too" });
        var frame = new JournalRecord(EntityKind.Datasets.Index, "D0003", 3, new Dataset { Id = "D0003", Name = "never acknowledged" }).Encode();
        using (var append = new FileStream(Journal, FileMode.Append))
        {
            append.Write(frame.AsSpan(0, frame.Length / 2));
        }

        var recovered = new LocalMetadataStore(directory);
        Assert.Equal(["kept", "kept too"], (await recovered.Datasets.ListAsync()).Select(d => d.Name));
        Assert.Equal("D0003", (await recovered.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "after" })).Id);
        Assert.Equal(["kept", "kept too", "after"], (await new LocalMetadataStore(directory).Datasets.ListAsync()).Select(d => d.Name));
    }

    [Fact]
    public async Task A_damaged_frame_ends_the_replay()
    {
        var store = new LocalMetadataStore(directory);
        await store.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "first" });
        var offset = new FileInfo(Journal).Length;
        await store.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "second" });
        var bytes = File.ReadAllBytes(Journal);
        bytes[^2] ^= 0x40; // one flipped bit in the last frame's payload
        File.WriteAllBytes(Journal, bytes);
        Assert.True(offset < bytes.Length);

        Assert.Equal(["first"], (await new LocalMetadataStore(directory).Datasets.ListAsync()).Select(d => d.Name));
    }

    [Fact]
    public async Task A_workspace_written_by_the_original_loads_unchanged()
    {
        Directory.CreateDirectory(directory);
        var original = new Workspace { Version = "0.2.0", Path = directory, MaxDatasetId = 9, MaxProjectId = 1 };
        original.Datasets.Add("D0001", new Dataset { Id = "D0001", Name = "first", Type = "classification" });
        original.Datasets.Add("D0007", new Dataset { Id = "D0007", Name = "seventh", Type = "detection" });
        original.Projects.Add("P0001", new Project { Id = "P0001", Name = "p", Did = "D0007" });
        File.WriteAllBytes(Snapshot, original.ToByteArray());
        var before = File.ReadAllBytes(Snapshot);

        var store = new LocalMetadataStore(directory);
        Assert.Equal(["D0001", "D0007"], (await store.Datasets.ListAsync()).Select(d => d.Id));
        Assert.Equal("D0007", (await store.Projects.GetAsync("P0001"))!.Did);
        Assert.Equal(before, File.ReadAllBytes(Snapshot));
        Assert.False(File.Exists(Journal));
        Assert.Equal("D0010", (await store.Datasets.CreateAsync(id => new Dataset { Id = id })).Id);
    }

    [Fact]
    public async Task A_clean_stop_leaves_only_a_snapshot_in_the_original_format()
    {
        using (var store = new LocalMetadataStore(directory))
        {
            await store.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "d" });
            await store.Tasks.CreateAsync(id => new Contracts.TaskInfo { Id = id, Pid = "P0001" });
            await store.Tasks.CreateAsync(id => new Contracts.TaskInfo { Id = id, Pid = "P0001" });
            await store.Tasks.DeleteAsync("T0002");
        }

        Assert.False(File.Exists(Journal));
        var workspace = Workspace.Parser.ParseFrom(File.ReadAllBytes(Snapshot));
        Assert.Equal(["D0001"], workspace.Datasets.Keys);
        Assert.Equal(["T0001"], workspace.Tasks.Keys);
        Assert.Equal(2, workspace.MaxTaskId);
        Assert.Equal(directory, workspace.Path);
    }

    [Fact]
    public async Task The_journal_is_folded_into_the_snapshot_once_it_outgrows_it()
    {
        var store = new LocalMetadataStore(directory, new LocalMetadataStoreOptions { CompactAfterBytes = 2048 });
        for (var i = 0; i < 300; i++)
        {
            await store.Datasets.CreateAsync(id => new Dataset { Id = id, Name = new string('n', 40) });
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(Snapshot) || File.Exists(Path.Combine(directory, MetadataJournal.RotatedName)))
        {
            Assert.True(DateTime.UtcNow < deadline, "no compaction finished");
            await Task.Delay(20);
        }

        var snapshot = Workspace.Parser.ParseFrom(File.ReadAllBytes(Snapshot));
        Assert.True(snapshot.Datasets.Count > 0);
        Assert.True(new FileInfo(Journal).Length < 300 * 50, "the journal was not cut back");
        var recovered = new LocalMetadataStore(directory);
        Assert.Equal(300, (await recovered.Datasets.ListAsync()).Count);
        Assert.Equal("D0301", (await recovered.Datasets.CreateAsync(id => new Dataset { Id = id })).Id);
    }

    [Fact]
    public async Task Concurrent_writers_share_flushes()
    {
        var store = new LocalMetadataStore(directory);
        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => store.Datasets.CreateAsync(id => new Dataset { Id = id }).AsTask()));
        Assert.Equal(200, (await store.Datasets.ListAsync()).Count);
        Assert.True(store.Flushes < 200, $"{store.Flushes} flushes for 200 concurrent creates");
    }

    [Fact]
    public async Task A_view_is_computed_once_per_stored_version()
    {
        var store = new LocalMetadataStore(directory);
        for (var i = 0; i < 50; i++)
        {
            await store.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "v0" });
        }

        var computed = 0;
        var view = new EntityView<Dataset, string>(d => { Interlocked.Increment(ref computed); return d.Name; });
        await store.Datasets.ListViewsAsync(view);
        await store.Datasets.ListViewsAsync(view);
        Assert.Equal(50, computed);

        await store.Datasets.UpdateAsync("D0010", d => d.Name = "v1");
        var views = await store.Datasets.ListViewsAsync(view);
        Assert.Equal(51, computed);
        Assert.Equal("v1", views[9]);
    }

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
