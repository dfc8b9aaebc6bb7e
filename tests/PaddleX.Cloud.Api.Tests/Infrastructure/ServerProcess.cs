using System.Diagnostics;
using System.Globalization;

namespace PaddleX.Cloud.Api.Tests.Infrastructure;

/// <summary>The server as a process of its own: for tests that kill it or measure its memory, which an
/// in-process server shares with every other test running in the test host.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process process;

    private ServerProcess(Process process, int port)
    {
        this.process = process;
        Port = port;
        Client = new ApiClient(new Uri($"http://127.0.0.1:{port}"));
    }

    public int Port { get; }

    public ApiClient Client { get; }

    public int Id => process.Id;

    /// <summary>The process's resident set size in MiB now.</summary>
    public long RssMiB
    {
        get
        {
            process.Refresh();
            return process.WorkingSet64 >> 20;
        }
    }

    /// <summary>Starts a local-backend server on <paramref name="workspace"/> at a free port (or <paramref name="port"/>).</summary>
    public static ServerProcess Start(string workspace, int? port = null, params string[] extraArgs)
    {
        var chosen = port ?? Network.FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "PaddleX.Cloud.Server.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--port", chosen.ToString(CultureInfo.InvariantCulture), "--workspace_dir", workspace }.Concat(extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var key in PaddleX.Cloud.Azure.BackendOptions.CloudStoreKeys)
        {
            info.Environment.Remove(key.Replace(":", "__", StringComparison.Ordinal)); // a local server on purpose
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServerProcess(process, chosen);
    }

    /// <summary>Waits until the server answers (any HTTP answer counts: a key may be required).</summary>
    public async Task WaitUntilUpAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                await Client.Http.GetAsync(new Uri("/workspace", UriKind.Relative));
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill() => process.Kill(entireProcessTree: true);

    public Task WaitForExitAsync() => process.WaitForExitAsync();

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        Client.Dispose();
        process.Dispose();
    }
}
