using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace PaddleX.Cloud.Distributed.Tests;

/// <summary>The worker started exactly as gpu-worker/Dockerfile starts it — <c>dotnet
/// PaddleX.Cloud.Worker.dll</c> in its folder, no arguments, the final stage's ENV — over the
/// emulators with <c>Backend=azure</c>. Container Apps probes <c>/health</c> on the container's IP at
/// ASPNETCORE_HTTP_PORTS, so the worker must listen on every interface at that port.</summary>
public sealed partial class WorkerContainerStartTests() : CloudShapeTestBase("wc", TimeSpan.FromSeconds(10))
{
    private static readonly string Dockerfile = Path.Combine(Repository.Root, "gpu-worker", "Dockerfile");

    [Fact]
    public async Task The_worker_listens_on_all_interfaces_at_the_image_port_and_answers_health()
    {
        var environment = FinalStageEnvironment();
        Assert.Equal("8080", environment["ASPNETCORE_HTTP_PORTS"]);

        // The image's environment, with a free port and writable folders in place of 8080 and /work.
        var port = Network.FreePort();
        var work = NewFolder();
        environment["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture);
        environment["PADDLEX_WORK_DIR"] = work;
        environment["TMPDIR"] = work;

        // What infra/bicep/modules/containerapps.bicep adds for the GPU app.
        environment["Worker__Concurrency"] = "1";
        environment["DOTNET_shutdownTimeoutSeconds"] = "570";
        var worker = StartWorkerAsContainer(environment);

        await worker.WaitUntilAnswersAsync(Http, $"http://127.0.0.1:{port}/health", TimeSpan.FromSeconds(90));
        Assert.Matches($@"Now listening on: http://(\[::\]|\*|\+|0\.0\.0\.0):{port}\b", worker.Output);

        // One job at a time, and the host waits 9.5 min (inside the 10 min grace period) for it on SIGTERM.
        Assert.Contains("Taking jobs: 1 at a time, stop timeout 00:09:30", worker.Output, StringComparison.Ordinal);

        // The probe comes from outside the container: reach it on a non-loopback address when the machine has one.
        var external = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        if (external is not null)
        {
            using var response = await Http.GetAsync(new Uri($"http://{external}:{port}/health"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>ENV of the Dockerfile's final stage (the values the test can use as they are).</summary>
    private static Dictionary<string, string> FinalStageEnvironment()
    {
        var text = File.ReadAllText(Dockerfile).Replace("\\\n", " ", StringComparison.Ordinal);
        var finalStage = text[text.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match env in EnvInstruction().Matches(finalStage))
        {
            foreach (Match pair in EnvPair().Matches(env.Groups[1].Value))
            {
                var value = pair.Groups[2].Value;
                if (!value.Contains('$', StringComparison.Ordinal))
                {
                    result[pair.Groups[1].Value] = value;
                }
            }
        }

        // A CPU image: the test machine has no GPU.
        result["PADDLEX_DEVICE"] = "cpu";
        return result;
    }


    [GeneratedRegex(@"^ENV\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex EnvInstruction();

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)=(\S+)")]
    private static partial Regex EnvPair();
}
