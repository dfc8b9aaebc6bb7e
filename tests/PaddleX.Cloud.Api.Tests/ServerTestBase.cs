using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>A fresh server and workspace per test.</summary>
public abstract class ServerTestBase : IAsyncLifetime
{
    private TestServer? server;

    protected TestServer Server => server ?? throw new InvalidOperationException("not started");

    protected ApiClient Api => Server.Client;

    protected virtual string[] ServerArgs => [];

    public async Task InitializeAsync() => server = await TestServer.StartAsync(null, ServerArgs);

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

    protected byte[] WorkspaceBytes() => File.ReadAllBytes(Path.Combine(Server.Workspace, "workspace.newest.pb"));
}
