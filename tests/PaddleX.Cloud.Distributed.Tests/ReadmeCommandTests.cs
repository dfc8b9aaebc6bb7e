using System.Globalization;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Azure;

namespace PaddleX.Cloud.Distributed.Tests;

/// <summary>The README's start command, run as a user runs it: from some folder, with a relative
/// <c>--workspace_dir</c>. The workspace must land in that folder, not in the project folder.</summary>
public sealed class ReadmeCommandTests : IDisposable
{
    private readonly string userFolder = Directory.CreateTempSubdirectory("paddlex-user-").FullName;

    private string? misplacedByThisTest;

    [Fact]
    public async Task Dotnet_run_with_a_relative_workspace_puts_it_in_the_folder_the_user_ran_it_from()
    {
        var project = Path.Combine(Repository.Root, "functions", "PaddleX.Cloud.Server");
        var port = Network.FreePort().ToString(CultureInfo.InvariantCulture);
        var local = BackendOptions.CloudStoreKeys.ToDictionary(key => key.Replace(":", "__", StringComparison.Ordinal), _ => string.Empty);
        var misplaced = Path.Combine(project, "workspace");
        var existedBefore = Directory.Exists(misplaced);
        misplacedByThisTest = existedBefore ? null : misplaced;

        // README: dotnet run --project functions/PaddleX.Cloud.Server -- --port 8080 --workspace_dir ./workspace
        // (--no-build: the test run built it already; -c: the configuration it was built in).
        await using var server = ChildProcess.StartDotnet(
            userFolder,
            ["run", "--no-build", "-c", ChildProcess.BuildConfiguration(), "--project", project, "--", "--port", port, "--workspace_dir", "./workspace"],
            local);
        using var http = new HttpClient();
        await server.WaitUntilAnswersAsync(http, $"http://127.0.0.1:{port}/workspace", TimeSpan.FromSeconds(90));

        var reply = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/workspace")))!;
        var expected = Path.Combine(userFolder, "workspace");
        Assert.Equal(expected, reply["dirname"]!.GetValue<string>());
        Assert.True(Directory.Exists(expected), $"{expected} was not created");
        Assert.False(Directory.Exists(misplaced) && !existedBefore, $"{misplaced} was created");
    }

    public void Dispose()
    {
        Directory.Delete(userFolder, recursive: true);
        if (misplacedByThisTest is not null && Directory.Exists(misplacedByThisTest))
        {
            Directory.Delete(misplacedByThisTest, recursive: true);
        }
    }
}
