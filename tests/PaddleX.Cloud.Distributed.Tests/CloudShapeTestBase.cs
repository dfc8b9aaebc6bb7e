using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using PaddleX.Cloud.Azure;

namespace PaddleX.Cloud.Distributed.Tests;

/// <summary>The cloud shape on one machine: API server and worker processes over the emulators that
/// tests/emulators/start.sh started, each test in a tenant and queue of its own. Fails (never
/// skips) without the emulators.</summary>
public abstract class CloudShapeTestBase(string prefix, TimeSpan httpTimeout) : IAsyncLifetime
{
    private readonly List<ChildProcess> processes = [];
    private readonly List<string> folders = [];
    private Dictionary<string, string> settings = null!;

    protected string Tenant { get; } = prefix + Guid.NewGuid().ToString("N")[..10];

    protected HttpClient Http { get; } = new() { Timeout = httpTimeout };

    protected AzureBackends Backends { get; private set; } = null!;

    /// <summary>Settings a test adds to (or overrides in) the processes' environment.</summary>
    protected virtual IReadOnlyDictionary<string, string> ExtraSettings { get; } = new Dictionary<string, string>();

    public virtual Task InitializeAsync()
    {
        string[] required = ["PADDLEX_EMULATORS", "Cosmos__ConnectionString", "Storage__ConnectionString", "Jobs__ConnectionString"];
        var missing = required.Where(name => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                "Distributed test without emulators: " + string.Join(", ", missing) + " not set. "
                + "Run eval \"$(tests/emulators/start.sh)\" first (tests/emulators/stop.sh afterwards), or ./test.sh.");
        }

        settings = new Dictionary<string, string>
        {
            ["Backend"] = "azure",
            ["Tenant__Id"] = Tenant,
            ["Jobs__Transport"] = "StorageQueue",
            ["Jobs__Queue"] = "jobs-" + prefix + "-" + Guid.NewGuid().ToString("N")[..12],
            ["Jobs__PollInterval"] = "00:00:00.200",
            ["Cosmos__EnsureCreated"] = "true",
            ["Cosmos__LimitToEndpoint"] = "true",
            ["Storage__EnsureCreated"] = "true",
        };
        foreach (var (key, value) in ExtraSettings)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddInMemoryCollection(settings.Select(p => new KeyValuePair<string, string?>(p.Key.Replace("__", ":", StringComparison.Ordinal), p.Value)))
            .Build();
        Backends = AzureBackends.FromConfiguration(configuration);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }

        foreach (var folder in folders.Where(Directory.Exists))
        {
            Directory.Delete(folder, recursive: true);
        }

        Http.Dispose();
    }

    /// <summary>An API server that only validates, records and enqueues (<c>--worker false</c>).</summary>
    private protected (ChildProcess Process, string Url) StartServer()
    {
        var port = Network.FreePort();
        var folder = Path.Combine(Path.GetTempPath(), $"paddlex-{prefix}-" + Guid.NewGuid().ToString("N"));
        folders.Add(folder);
        var process = ChildProcess.Start(
            "functions",
            "PaddleX.Cloud.Server",
            ["--backend", "azure", "--worker", "false", "--port", port.ToString(CultureInfo.InvariantCulture), "--workspace_dir", folder],
            settings);
        processes.Add(process);
        return (process, $"http://127.0.0.1:{port}");
    }

    /// <summary>A worker as its own process; its health endpoint on a free port; <paramref name="own"/> adds settings of its own.</summary>
    private protected (ChildProcess Process, string Url) StartWorker(IReadOnlyDictionary<string, string>? own = null)
    {
        var port = Network.FreePort();
        var environment = new Dictionary<string, string>(settings);
        foreach (var (key, value) in own ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var worker = ChildProcess.Start("gpu-worker", "PaddleX.Cloud.Worker", ["--urls", $"http://127.0.0.1:{port}"], environment);
        processes.Add(worker);
        return (worker, $"http://127.0.0.1:{port}");
    }

    /// <summary>A worker started the way its container image starts it: no arguments, only the
    /// environment (<paramref name="containerEnvironment"/> on top of the test's settings).</summary>
    private protected ChildProcess StartWorkerAsContainer(IReadOnlyDictionary<string, string> containerEnvironment)
    {
        var environment = new Dictionary<string, string>(settings);
        foreach (var (key, value) in containerEnvironment)
        {
            environment[key] = value;
        }

        var worker = ChildProcess.Start("gpu-worker", "PaddleX.Cloud.Worker", [], environment);
        processes.Add(worker);
        return worker;
    }

    /// <summary>A folder removed with the test.</summary>
    protected string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"paddlex-{prefix}-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        folders.Add(folder);
        return folder;
    }

    /// <summary>The original API's JSON call shape: arguments in the body for every method.</summary>
    protected async Task<JsonNode> SendAsync(HttpMethod method, string url, object body, bool expectOk = true)
    {
        using var request = new HttpRequestMessage(method, new Uri(url)) { Content = JsonContent.Create(body) };
        using var response = await Http.SendAsync(request);
        var reply = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (expectOk)
        {
            Assert.True(reply["status"]?.GetValue<int>() == 1, $"{method} {url}: {reply.ToJsonString()}");
        }

        return reply;
    }
}
