using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;
using Task = System.Threading.Tasks.Task;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>The contract of <see cref="IMetadataStore"/>: every adapter passes the same assertions.</summary>
public abstract class MetadataStoreContract
{
    /// <summary>A store over a fresh, empty workspace.</summary>
    protected abstract Task<IMetadataStore> CreateStoreAsync();

    /// <summary>A second, independent instance over the same workspace as <paramref name="store"/>
    /// (another process in production), or null when the adapter is single-instance (local).</summary>
    protected abstract Task<IMetadataStore?> OpenSecondInstanceAsync(IMetadataStore store);

    private static Dataset NewDataset(string id, string name = "ds", string desc = "") =>
        new() { Id = id, Name = name, Desc = desc, Type = "classification", Path = "datasets/" + id, CreateTime = "2026-01-01 00:00:00", State = new JobState { Status = 1 } };

    [Fact]
    public async Task Create_get_list_update_delete()
    {
        var store = await CreateStoreAsync();
        var created = await store.Datasets.CreateAsync(id => NewDataset(id, "first", "d1"));
        Assert.Equal("D0001", created.Id);

        var read = await store.Datasets.GetAsync("D0001");
        Assert.NotNull(read);
        Assert.Equal(created, read);

        await store.Datasets.CreateAsync(id => NewDataset(id, "second"));
        var list = await store.Datasets.ListAsync();
        Assert.Equal(["D0001", "D0002"], list.Select(d => d.Id));
        Assert.Equal("second", list[1].Name);

        var updated = await store.Datasets.UpdateAsync("D0001", d => { d.Desc = "changed"; d.State.Status = 3; });
        Assert.NotNull(updated);
        Assert.Equal("changed", updated.Desc);
        var reread = await store.Datasets.GetAsync("D0001");
        Assert.Equal("changed", reread!.Desc);
        Assert.Equal(3, reread.State.Status);

        Assert.True(await store.Datasets.DeleteAsync("D0001"));
        Assert.Null(await store.Datasets.GetAsync("D0001"));
        Assert.False(await store.Datasets.DeleteAsync("D0001"));
        Assert.Equal(["D0002"], (await store.Datasets.ListAsync()).Select(d => d.Id));
    }

    [Fact]
    public async Task Missing_ids_are_null_false_and_empty()
    {
        var store = await CreateStoreAsync();
        Assert.Null(await store.Datasets.GetAsync("D0001"));
        Assert.Null(await store.Tasks.GetAsync("T0042"));
        Assert.Null(await store.Datasets.UpdateAsync("D0001", d => d.Name = "x"));
        Assert.False(await store.Datasets.DeleteAsync("D0001"));
        Assert.Empty(await store.Datasets.ListAsync());
        Assert.Empty(await store.ExportedModels.ListAsync());
    }

    [Fact]
    public async Task Ids_are_sequential_per_kind_and_kinds_do_not_mix()
    {
        var store = await CreateStoreAsync();
        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal(EntityIds.Format("D", i), (await store.Datasets.CreateAsync(id => NewDataset(id))).Id);
        }

        Assert.Equal("P0001", (await store.Projects.CreateAsync(id => new Project { Id = id, Name = "p" })).Id);
        Assert.Equal("PM0001", (await store.PretrainedModels.CreateAsync(id => new PretrainedModel { Id = id, Name = "pm" })).Id);
        Assert.Equal("EM0001", (await store.ExportedModels.CreateAsync(id => new ExportedModel { Id = id, Name = "em" })).Id);
        Assert.Equal("T0001", (await store.Tasks.CreateAsync(id => new Contracts.TaskInfo { Id = id, Name = "t" })).Id);
        Assert.Equal("P0002", (await store.Projects.CreateAsync(id => new Project { Id = id, Name = "p2" })).Id);

        Assert.Null(await store.Projects.GetAsync("PM0001"));
        Assert.Null(await store.PretrainedModels.GetAsync("P0001"));
        Assert.False(await store.Datasets.DeleteAsync("P0001"));
        Assert.NotNull(await store.Projects.GetAsync("P0001"));
        Assert.Equal(["P0001", "P0002"], (await store.Projects.ListAsync()).Select(p => p.Id));
        Assert.Equal(3, (await store.Datasets.ListAsync()).Count);
    }

    [Fact]
    public async Task A_throwing_build_stores_nothing_and_burns_no_id()
    {
        var store = await CreateStoreAsync();
        await store.Datasets.CreateAsync(id => NewDataset(id));
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await store.Datasets.CreateAsync(_ => throw new InvalidOperationException("validation failed")));
        Assert.Single(await store.Datasets.ListAsync());
        Assert.Equal("D0002", (await store.Datasets.CreateAsync(id => NewDataset(id))).Id);
    }

    [Fact]
    public async Task Deleted_ids_are_never_reused()
    {
        var store = await CreateStoreAsync();
        await store.Datasets.CreateAsync(id => NewDataset(id));
        await store.Datasets.CreateAsync(id => NewDataset(id));
        Assert.True(await store.Datasets.DeleteAsync("D0002"));
        Assert.Equal("D0003", (await store.Datasets.CreateAsync(id => NewDataset(id))).Id);
    }

    [Fact]
    public async Task Hundred_parallel_creates_get_hundred_distinct_sequential_ids()
    {
        var store = await CreateStoreAsync();
        var created = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => store.Datasets.CreateAsync(id => NewDataset(id, "n" + i)).AsTask()));
        var expected = Enumerable.Range(1, 100).Select(n => EntityIds.Format("D", n)).ToList();
        Assert.Equal(expected, created.Select(d => d.Id).Order(StringComparer.Ordinal));
        var listed = await store.Datasets.ListAsync();
        Assert.Equal(expected, listed.Select(d => d.Id));
        Assert.Equal(100, listed.Select(d => d.Name).Distinct().Count());
    }

    [Fact]
    public async Task Parallel_creates_from_two_instances_do_not_collide()
    {
        var store = await CreateStoreAsync();
        var other = await OpenSecondInstanceAsync(store);
        if (other is null)
        {
            return; // single-instance adapter: covered by the in-process test above
        }

        var created = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            (i % 2 == 0 ? store : other).Projects.CreateAsync(id => new Project { Id = id, Name = "n" + i }).AsTask()));
        Assert.Equal(Enumerable.Range(1, 40).Select(n => EntityIds.Format("P", n)), created.Select(p => p.Id).Order(StringComparer.Ordinal));
        Assert.Equal(40, (await other.Projects.ListAsync()).Count);
    }

    [Fact]
    public async Task Concurrent_updates_of_one_entity_lose_no_change()
    {
        var store = await CreateStoreAsync();
        var other = await OpenSecondInstanceAsync(store) ?? store;
        await store.Datasets.CreateAsync(id => NewDataset(id));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            (i % 2 == 0 ? store : other).Datasets.UpdateAsync("D0001", d => d.Desc += $"<{i}>").AsTask()));
        var desc = (await store.Datasets.GetAsync("D0001"))!.Desc;
        for (var i = 0; i < 20; i++)
        {
            Assert.Contains($"<{i}>", desc, StringComparison.Ordinal);
        }

        Assert.Equal(20, desc.Count(c => c == '<'));
    }

    [Fact]
    public async Task A_throwing_mutate_changes_nothing()
    {
        var store = await CreateStoreAsync();
        await store.Datasets.CreateAsync(id => NewDataset(id, "keep"));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.Datasets.UpdateAsync("D0001", d => { d.Name = "lost"; throw new ArgumentException("no"); }));
        Assert.Equal("keep", (await store.Datasets.GetAsync("D0001"))!.Name);
    }

    [Fact]
    public async Task Values_handed_out_are_copies()
    {
        var store = await CreateStoreAsync();
        var created = await store.Datasets.CreateAsync(id => NewDataset(id, "original"));
        created.Name = "changed outside";
        var read = await store.Datasets.GetAsync("D0001");
        read!.Name = "changed again";
        (await store.Datasets.ListAsync())[0].Name = "and again";
        Assert.Equal("original", (await store.Datasets.GetAsync("D0001"))!.Name);
    }

    [Fact]
    public async Task FindAll_returns_copies_of_the_matches_in_id_order()
    {
        var store = await CreateStoreAsync();
        for (var i = 1; i <= 12; i++)
        {
            await store.Projects.CreateAsync(id => new Project { Id = id, Name = "p" + i, Did = i % 3 == 0 ? "D0003" : "D0001" });
        }

        var matches = await store.Projects.FindAllAsync(p => p.Did == "D0003");
        Assert.Equal(["P0003", "P0006", "P0009", "P0012"], matches.Select(p => p.Id));
        matches[0].Name = "changed outside";
        Assert.Equal("p3", (await store.Projects.GetAsync("P0003"))!.Name);
        Assert.Empty(await store.Projects.FindAllAsync(p => p.Did == "D0042"));
    }

    [Fact]
    public async Task Projects_of_a_dataset_and_tasks_of_a_project_follow_every_change()
    {
        var store = await CreateStoreAsync();
        for (var i = 1; i <= 6; i++)
        {
            await store.Projects.CreateAsync(id => new Project { Id = id, Name = "p" + i, Did = i % 2 == 0 ? "D0002" : "D0001" });
        }

        await store.Tasks.CreateAsync(id => new Contracts.TaskInfo { Id = id, Pid = "P0002" });
        await store.Tasks.CreateAsync(id => new Contracts.TaskInfo { Id = id, Pid = "P0001" });
        await store.Tasks.CreateAsync(id => new Contracts.TaskInfo { Id = id, Pid = "P0002" });
        Assert.Equal(["P0002", "P0004", "P0006"], (await store.ProjectsOfDatasetAsync("D0002")).Select(p => p.Id));
        Assert.Equal(["T0001", "T0003"], (await store.TasksOfProjectAsync("P0002")).Select(t => t.Id));

        await store.Projects.UpdateAsync("P0004", p => p.Did = "D0001");
        await store.Projects.UpdateAsync("P0006", p => p.Name = "renamed");
        await store.Projects.DeleteAsync("P0002");
        await store.Tasks.DeleteAsync("T0001");
        var ofD2 = await store.ProjectsOfDatasetAsync("D0002");
        Assert.Equal(["P0006"], ofD2.Select(p => p.Id));
        Assert.Equal("renamed", ofD2[0].Name);
        ofD2[0].Name = "changed outside";
        Assert.Equal("renamed", (await store.Projects.GetAsync("P0006"))!.Name);
        Assert.Equal(["P0001", "P0003", "P0004", "P0005"], (await store.ProjectsOfDatasetAsync("D0001")).Select(p => p.Id));
        Assert.Equal(["T0003"], (await store.TasksOfProjectAsync("P0002")).Select(t => t.Id));
        Assert.Empty(await store.ProjectsOfDatasetAsync("D0042"));
        Assert.Empty(await store.TasksOfProjectAsync("P0001x"));
    }

    [Fact]
    public async Task List_views_follow_every_change()
    {
        var store = await CreateStoreAsync();
        var view = new EntityView<Dataset, string>(d => d.Id + ":" + d.Name);
        await store.Datasets.CreateAsync(id => NewDataset(id, "a"));
        await store.Datasets.CreateAsync(id => NewDataset(id, "b"));
        Assert.Equal(["D0001:a", "D0002:b"], await store.Datasets.ListViewsAsync(view));
        Assert.Equal(["D0001:a", "D0002:b"], await store.Datasets.ListViewsAsync(view));

        await store.Datasets.UpdateAsync("D0001", d => d.Name = "a2");
        await store.Datasets.CreateAsync(id => NewDataset(id, "c"));
        Assert.Equal(["D0001:a2", "D0002:b", "D0003:c"], await store.Datasets.ListViewsAsync(view));
        await store.Datasets.DeleteAsync("D0002");
        Assert.Equal(["D0001:a2", "D0003:c"], await store.Datasets.ListViewsAsync(view));
    }

    [Fact]
    public async Task Unicode_and_nested_fields_round_trip()
    {
        var store = await CreateStoreAsync();
        const string name = "数据集 ✓ ñandú 🚀 \"quoted\" \\ back\nline";
        await store.Datasets.CreateAsync(id => NewDataset(id, name, "描述"));
        var dataset = await store.Datasets.GetAsync("D0001");
        Assert.Equal(name, dataset!.Name);
        Assert.Equal("描述", dataset.Desc);

        var task = await store.Tasks.CreateAsync(id => new Contracts.TaskInfo
        {
            Id = id,
            Name = "任务",
            Pid = "P0001",
            ParamsJson = "{\"lr\":0.01,\"名\":\"值\"}",
            State = new JobState { Status = 2, Message = "{\"percent\":12.5}", JobId = "j1" },
            Jobs = { ["train"] = new JobState { Status = 3, CancelRequested = true }, ["export"] = new JobState { Status = 1 } },
        });
        var read = await store.Tasks.GetAsync(task.Id);
        Assert.Equal(task, read);
        Assert.True(read!.Jobs["train"].CancelRequested);
    }
}

public sealed class LocalMetadataStoreTests : MetadataStoreContract, IDisposable
{
    private readonly string directory = TempFolders.Create("meta");

    protected override Task<IMetadataStore> CreateStoreAsync() =>
        Task.FromResult<IMetadataStore>(new Local.LocalMetadataStore(directory));

    protected override Task<IMetadataStore?> OpenSecondInstanceAsync(IMetadataStore store) => Task.FromResult<IMetadataStore?>(null);

    [Fact]
    public async Task Survives_reopening()
    {
        var store = await CreateStoreAsync();
        await store.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "persisted" });
        var reopened = new Local.LocalMetadataStore(directory);
        Assert.Equal("persisted", (await reopened.Datasets.GetAsync("D0001"))!.Name);
        Assert.Equal("D0002", (await reopened.Datasets.CreateAsync(id => new Dataset { Id = id })).Id);
    }

    [Fact]
    public async Task Owner_index_is_rebuilt_from_snapshot_and_journal()
    {
        using (var first = new Local.LocalMetadataStore(directory))
        {
            await first.Projects.CreateAsync(id => new Project { Id = id, Did = "D0001" });
            await first.Projects.CreateAsync(id => new Project { Id = id, Did = "D0002" });
        }

        // Stopped cleanly: the two projects are in the snapshot. The next changes stay in the journal.
        var second = new Local.LocalMetadataStore(directory);
        await second.Projects.UpdateAsync("P0001", p => p.Did = "D0002");
        await second.Projects.CreateAsync(id => new Project { Id = id, Did = "D0001" });
        await second.Tasks.CreateAsync(id => new Contracts.TaskInfo { Id = id, Pid = "P0003" });

        var recovered = new Local.LocalMetadataStore(directory); // the second one is never stopped
        Assert.Equal(["P0001", "P0002"], (await ((IMetadataStore)recovered).ProjectsOfDatasetAsync("D0002")).Select(p => p.Id));
        Assert.Equal(["P0003"], (await ((IMetadataStore)recovered).ProjectsOfDatasetAsync("D0001")).Select(p => p.Id));
        Assert.Equal(["T0001"], (await ((IMetadataStore)recovered).TasksOfProjectAsync("P0003")).Select(t => t.Id));
    }

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

public sealed class CosmosMetadataStoreTests : MetadataStoreContract
{
    private readonly string workspaceId = Emulators.NewWorkspaceId();

    protected override async Task<IMetadataStore> CreateStoreAsync() =>
        new Azure.Cosmos.CosmosMetadataStore(await Emulators.CosmosContainerAsync(), workspaceId);

    protected override async Task<IMetadataStore?> OpenSecondInstanceAsync(IMetadataStore store)
    {
        // Another client, as another process would have.
        var backends = Emulators.Backends;
        var client = backends.CreateCosmosClient();
        await Emulators.CosmosContainerAsync();
        return new Azure.Cosmos.CosmosMetadataStore(client.GetContainer(backends.Cosmos.Database, backends.Cosmos.Container), store.WorkspaceId);
    }

    [Fact]
    public async Task Workspaces_are_isolated_partitions()
    {
        var container = await Emulators.CosmosContainerAsync();
        var a = new Azure.Cosmos.CosmosMetadataStore(container, Emulators.NewWorkspaceId());
        var b = new Azure.Cosmos.CosmosMetadataStore(container, Emulators.NewWorkspaceId());
        await a.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "a" });
        Assert.Empty(await b.Datasets.ListAsync());
        Assert.Null(await b.Datasets.GetAsync("D0001"));
        Assert.Equal("D0001", (await b.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "b" })).Id);
        Assert.Equal("a", (await a.Datasets.GetAsync("D0001"))!.Name);
    }

    [Fact]
    public void Configured_from_the_environment()
    {
        var store = Emulators.Backends.CreateMetadataStore();
        Assert.Equal("default", store.WorkspaceId);
    }
}
