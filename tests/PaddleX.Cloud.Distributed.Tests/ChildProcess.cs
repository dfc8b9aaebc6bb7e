using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PaddleX.Cloud.Distributed.Tests;

/// <summary>One of the apps (server, worker) run as its own process from its build output.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private ChildProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public bool HasExited => process.HasExited;

    public int Id => process.Id;

    public int ExitCode => process.ExitCode;

    /// <summary>Waits until the process ends by itself; false when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL: the process dies at once, nothing is settled or cleaned up.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM (as a container stop sends): the host shuts down gracefully. Waits for the exit.</summary>
    public async Task TerminateAsync(TimeSpan timeout)
    {
        await SignalAsync("-TERM");
        using var wait = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(wait.Token);
    }

    /// <summary>SIGSTOP: the process freezes (a GC pause, a frozen VM, a partition) until <see cref="ContinueAsync"/>.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    public Task ContinueAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
    }

    /// <summary>Starts <c>dotnet {project}.dll args</c> from that project's own bin folder.</summary>
    public static ChildProcess Start(string projectFolder, string projectName, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var dll = Path.Combine(Repository.Root, projectFolder, projectName, "bin", BuildConfiguration(), "net10.0", projectName + ".dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build {projectName} first (dotnet build); {dll} is missing.", dll);
        }

        return StartDotnet(Path.GetDirectoryName(dll)!, [dll, .. args], environment);
    }

    /// <summary>Starts <c>dotnet args</c> in <paramref name="workingDirectory"/> (e.g. a documented <c>dotnet run</c>).</summary>
    public static ChildProcess StartDotnet(string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return new ChildProcess(Process.Start(info)!);
    }


    /// <summary>Polls <paramref name="url"/> until it answers 200.</summary>
    public async Task WaitUntilAnswersAsync(HttpClient http, string url, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the process exited with {process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(url));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{url} did not answer within {timeout}:\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }


    /// <summary>Debug or Release, as this test assembly was built (…/bin/{Configuration}/net10.0/).</summary>
    internal static string BuildConfiguration() =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
