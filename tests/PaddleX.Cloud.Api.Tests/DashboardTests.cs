using System.Diagnostics;
using PaddleX.Cloud.Api.Tests.Infrastructure;
using PaddleX.Cloud.Contracts.Training;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>The training dashboard page, opened in a real headless Chromium (Debian's package,
/// installed by tests/tools/install.sh): it must fetch the task's history and draw every chart.</summary>
public sealed class DashboardTests : ServerTestBase
{
    [Fact]
    public async Task The_dashboard_draws_loss_lr_and_validation_charts_in_chromium()
    {
        var (_, pid, tid) = await CreateTaskAsync();
        var folder = Path.Combine(Server.Workspace, "projects", pid, tid);
        Directory.CreateDirectory(folder);
        var now = DateTime.Now;
        var lines = new List<string>();
        for (var epoch = 1; epoch <= 3; epoch++)
        {
            for (var step = 2; step <= 10; step += 2)
            {
                var loss = 1.5 / (epoch + (step / 10.0));
                lines.Add(PaddleXLogFormat.TrainStep(now, epoch, 3, step, 10, loss, 0.01 / epoch, [new("acc1", 1 - (loss / 2)), new("acc4", 1.0)], 0.1, 30 - (epoch * 10)));
            }

            lines.Add(PaddleXLogFormat.EvalFinished(now, epoch, [new("acc1", 0.5 + (epoch * 0.15)), new("acc4", 1.0)]));
        }

        await File.WriteAllLinesAsync(Path.Combine(folder, "out.log"), lines);

        var href = Expect.Ok(await Api.GetAsync("/project/task/vdl", new { tid }))["href"]!.GetValue<string>();
        var screenshot = Path.Combine(TempFolder.Create("dashboard"), "dashboard.png");
        var dom = await ChromiumAsync("--dump-dom", href);
        Assert.Contains("data-loaded=\"true\"", dom, StringComparison.Ordinal);
        foreach (var chart in new[] { "loss", "lr", "eval", "acc" })
        {
            var match = System.Text.RegularExpressions.Regex.Match(dom, $"<canvas id=\"{chart}\"[^>]*data-points=\"(\\d+)\"");
            Assert.True(match.Success, $"chart {chart} was not drawn");
            Assert.True(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, $"chart {chart} has no points");
        }

        await ChromiumAsync($"--screenshot={screenshot}", "--window-size=1280,800", href);
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is empty");
    }

    private static async Task<string> ChromiumAsync(params string[] args)
    {
        var info = new ProcessStartInfo("chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var flag in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--virtual-time-budget=8000", $"--user-data-dir={TempFolder.Create("chromium")}" })
        {
            info.ArgumentList.Add(flag);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("chromium did not start (run tests/tools/install.sh)");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await errors}");
        return await output;
    }
}
