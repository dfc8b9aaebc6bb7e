using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using PaddleX.Cloud.Api.Tests.Infrastructure;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Storage.Workers;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>A fresh server and workspace per test. Test classes are written once against the API
/// and backend-neutral helpers; a derived class with <see cref="Azure"/> true runs the same tests
/// against <c>--backend azure</c> over the emulators (a fresh tenant and job queue per test).</summary>
public abstract class ServerTestBase : IAsyncLifetime
{
    private TestServer? server;

    protected TestServer Server => server ?? throw new InvalidOperationException("not started");

    protected ApiClient Api => Server.Client;

    protected virtual string[] ServerArgs => [];

    /// <summary>True in the Azure-mode subclasses.</summary>
    protected virtual bool Azure => false;

    public async Task InitializeAsync() =>
        server = Azure ? await TestServer.StartAzureAsync(ServerArgs) : await TestServer.StartAsync(null, ServerArgs);

    /// <summary>The server's artifact store (workspace folder, or the tenant's blobs).</summary>
    protected IArtifactStore Artifacts => Server.Services.GetRequiredService<IArtifactStore>();

    protected IMetadataStore Metadata => Server.Services.GetRequiredService<IMetadataStore>();

    /// <summary>Places a file in the workspace through the server's own artifact store.</summary>
    protected async Task WriteFileAsync(string relativePath, byte[] content)
    {
        using var stream = new MemoryStream(content);
        await Artifacts.WriteAsync(relativePath, stream);
    }

    protected Task WriteFileAsync(string relativePath, string text) => WriteFileAsync(relativePath, Encoding.UTF8.GetBytes(text));

    /// <summary>Whether anything (a file, or files under a folder) exists at a workspace-relative path.</summary>
    protected async Task<bool> ExistsAsync(string relativePath) =>
        await Artifacts.ExistsAsync(relativePath) || (await Artifacts.ListAsync(relativePath)).Count > 0
        || (!Azure && Directory.Exists(Path.Combine(Server.Workspace, relativePath)));

    /// <summary>The path clients see for a workspace-relative path: absolute under the workspace
    /// folder locally, workspace-relative in the cloud.</summary>
    protected string DisplayPath(string relativePath) =>
        Azure ? relativePath.TrimEnd('/') : Path.Combine([Server.Workspace, .. relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries)]);

    /// <summary>Everything a request could change, backend-neutral: every record of every entity set
    /// (full protobuf JSON), every artifact (path and length, heartbeats left out), and locally also
    /// the bytes of workspace.newest.pb (id counters included) and whether it exists.</summary>
    protected async Task<string> WorkspaceStateAsync()
    {
        var state = new StringBuilder();
        void Add<T>(string kind, IReadOnlyList<T> items)
            where T : IMessage
        {
            foreach (var item in items)
            {
                state.Append(kind).Append(' ').AppendLine(JsonFormatter.Default.Format(item));
            }
        }

        Add("dataset", await Metadata.Datasets.ListAsync());
        Add("project", await Metadata.Projects.ListAsync());
        Add("task", await Metadata.Tasks.ListAsync());
        Add("pretrained", await Metadata.PretrainedModels.ListAsync());
        Add("exported", await Metadata.ExportedModels.ListAsync());
        foreach (var entry in await Artifacts.ListAsync(string.Empty))
        {
            if (!entry.Path.StartsWith(WorkerHeartbeat.Prefix + "/", StringComparison.Ordinal) && !entry.Path.StartsWith(".jobs/", StringComparison.Ordinal))
            {
                state.Append("file ").Append(entry.Path).Append(' ').Append(entry.Length).AppendLine();
            }
        }

        if (!Azure)
        {
            var pb = Path.Combine(Server.Workspace, "workspace.newest.pb");
            state.Append("pb ").AppendLine(File.Exists(pb) ? Convert.ToBase64String(File.ReadAllBytes(pb)) : "absent");
        }

        return state.ToString();
    }

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    protected async Task<string> CreateDatasetAsync(string name = "数据集", string type = "classification") =>
        Expect.Ok(await Api.PostAsync("/dataset", new { name, desc = "描述", dataset_type = type }))["did"]!.GetValue<string>();

    protected async Task<string> CreateProjectAsync(string name = "项目", string type = "classification") =>
        Expect.Ok(await Api.PostAsync("/project", new { name, desc = "描述", project_type = type }))["pid"]!.GetValue<string>();

    /// <summary>A project bound to a new dataset, with one task.</summary>
    protected async Task<(string Did, string Pid, string Tid)> CreateTaskAsync(object? train = null)
    {
        var did = await CreateDatasetAsync();
        var pid = await CreateProjectAsync();
        Expect.Ok(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { did } }));
        var reply = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = System.Text.Json.JsonSerializer.Serialize(train ?? new { }) }));
        return (did, pid, reply["tid"]!.GetValue<string>());
    }

    /// <summary>A project bound to an imported, split shapes dataset (4 classes, 32×32 pictures).</summary>
    protected async Task<(string Pid, string Did)> ImportedProjectAsync(int perClass) =>
        await ImportedProjectAsync(ShapesDataset.Write(Path.Combine(Server.Workspace, "import", "shapes"), perClass), "形状", "classification", valSplit: 0.3, testSplit: 0.0);

    /// <summary>Imports <paramref name="source"/> as a dataset of <paramref name="type"/>, splits it and binds a new project to it.</summary>
    protected async Task<(string Pid, string Did)> ImportedProjectAsync(string source, string name, string type, double valSplit, double testSplit)
    {
        var did = await CreateDatasetAsync(name, type);
        Expect.Ok(await Api.PutAsync("/dataset", new { did, path = source }));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/dataset", new { did }))["dataset_status"]!.GetValue<int>() is 4 or 2 or 5, TimeSpan.FromMinutes(2));
        Assert.Equal(4, (await Api.GetAsync("/dataset", new { did }))["dataset_status"]!.GetValue<int>());
        Expect.Ok(await Api.PutAsync("/dataset/split", new { did, val_split = valSplit, test_split = testSplit, seed = 1 }));
        var pid = await CreateProjectAsync(name + "项目", type);
        Expect.Ok(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { did } }));
        return (pid, did);
    }

    protected async Task<System.Text.Json.Nodes.JsonObject> WaitForTaskAsync(string tid, Func<int, bool> done, TimeSpan within)
    {
        System.Text.Json.Nodes.JsonObject reply = [];
        await Polling.WaitUntilAsync(
            async () =>
            {
                reply = await Api.GetAsync("/project/task", new { tid });
                return done(reply["task_status"]!.GetValue<int>());
            },
            within);
        return reply;
    }

    /// <summary>The predict state of <paramref name="tid"/> once the job has finished (status 1 done, 2 failed).</summary>
    protected async Task<System.Text.Json.Nodes.JsonObject> PredictionFinishedAsync(string tid)
    {
        System.Text.Json.Nodes.JsonObject state = [];
        await Polling.WaitUntilAsync(async () => (state = Expect.Ok(await Api.GetAsync("/project/task/predict", new { tid })))["predict_status"]!.GetValue<int>() is 1 or 2, TimeSpan.FromMinutes(2));
        return state;
    }
}
