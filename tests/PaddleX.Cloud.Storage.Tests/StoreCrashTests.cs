using System.Diagnostics;
using System.Globalization;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Storage.Ports;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>A child process hammers one workspace with concurrent writers and is SIGKILLed, at random
/// moments and in the middle of a compaction, again and again: every acknowledged change must be
/// there after each restart, and no id may ever be handed out twice.</summary>
public sealed class StoreCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Writers = 8;
    private readonly string directory = TempFolders.Create("crash");
    private readonly Dictionary<string, string> datasets = new(StringComparer.Ordinal);   // id → name, acknowledged and not deleted
    private readonly Dictionary<string, int> descs = new(StringComparer.Ordinal);         // id → last acknowledged desc
    private readonly HashSet<string> deleted = new(StringComparer.Ordinal);
    private readonly HashSet<string> maybeDeleted = new(StringComparer.Ordinal);     // a run's possibly unacknowledged delete
    private readonly HashSet<string> projects = new(StringComparer.Ordinal);
    private readonly HashSet<string> everCreated = new(StringComparer.Ordinal);
    private readonly List<string>[] owned = Enumerable.Range(0, Writers).Select(_ => new List<string>()).ToArray();

    [Fact]
    public async Task Acknowledged_writes_survive_repeated_sigkills_including_mid_compaction()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        string?[] killPoints = [null, "rotated", null, "snapshot-written", null, "compacted", null];
        foreach (var (killAt, round) in killPoints.Select((k, i) => (k, i)))
        {
            var lines = await RunChildAsync(killAt, TimeSpan.FromMilliseconds(random.Next(300, 1500)));
            var errors = lines.Where(l => l.StartsWith("E ", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 0, $"round {round}: a change failed before the kill: {string.Join("; ", errors)}");
            var changes = Record(lines);
            output.WriteLine($"round {round} (kill {killAt ?? "at a random moment"}): {changes} acknowledged changes, {everCreated.Count} ids so far");
            Assert.True(changes > 0, $"round {round}: nothing was acknowledged before the kill");
            await VerifyCopyAsync(round);
        }
    }

    private async Task<List<string>> RunChildAsync(string? killAt, TimeSpan runFor)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "PaddleX.Cloud.Storage.Hammer.dll"), directory, Writers.ToString(CultureInfo.InvariantCulture), "8192" },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (killAt is not null)
        {
            info.ArgumentList.Add(killAt);
        }

        using var child = Process.Start(info) ?? throw new InvalidOperationException("the child did not start");
        var lines = new List<string>();
        var ready = new TaskCompletionSource();
        var reader = Task.Run(async () =>
        {
            while (await child.StandardOutput.ReadLineAsync() is { } line)
            {
                lines.Add(line);
                if (line == "ready")
                {
                    ready.TrySetResult();
                }
            }
        });
        await Task.WhenAny(ready.Task, child.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(ready.Task.IsCompleted, "the child exited before it was ready");
        if (killAt is null)
        {
            await Task.Delay(runFor);
            Assert.False(child.HasExited, "the child stopped before it was killed");
            child.Kill(); // SIGKILL
        }

        // A compaction step kills the child itself; a stuck child fails the test instead of hanging.
        var exited = child.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(60))) != exited)
        {
            child.Kill();
            Assert.Fail($"the child never reached compaction step {killAt}");
        }

        await reader;
        Assert.Equal(137, child.ExitCode); // 128 + SIGKILL: killed, not crashed
        return lines;
    }

    /// <summary>Applies the acknowledged changes of one run; returns how many there were.</summary>
    private int Record(List<string> lines)
    {
        var count = 0;
        foreach (var part in lines.Where(l => l != "ready").Select(l => l.Split(' ')))
        {
            count++;
            var (writer, id) = (int.Parse(part[1], CultureInfo.InvariantCulture), part[2]);
            switch (part[0])
            {
                case "C":
                    Assert.True(everCreated.Add(id), $"dataset id {id} was handed out twice");
                    datasets[id] = part[3];
                    owned[writer].Add(id);
                    break;
                case "U":
                    descs[id] = int.Parse(part[3], CultureInfo.InvariantCulture);
                    break;
                case "X":
                    datasets.Remove(id);
                    descs.Remove(id);
                    deleted.Add(id);
                    owned[writer].Remove(id);
                    break;
                case "P":
                    Assert.True(everCreated.Add(id), $"project id {id} was handed out twice");
                    projects.Add(id);
                    break;
                default:
                    Assert.Fail($"unexpected line {string.Join(' ', part)}");
                    break;
            }
        }

        // Each run starts its writers afresh: only the oldest entity of a run's writer could have
        // been deleted without the delete being acknowledged, and that run is over.
        var inFlightDeletes = owned.Select(o => o.FirstOrDefault()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var list in owned)
        {
            list.Clear();
        }

        maybeDeleted.UnionWith(inFlightDeletes);
        return count;
    }

    /// <summary>Recovers a copy of the folder as the kill left it (the next run recovers the original).</summary>
    private async Task VerifyCopyAsync(int round)
    {
        var copy = directory + "-verify";
        if (Directory.Exists(copy))
        {
            Directory.Delete(copy, recursive: true);
        }

        Directory.CreateDirectory(copy);
        foreach (var path in Directory.GetFiles(directory))
        {
            File.Copy(path, Path.Combine(copy, Path.GetFileName(path)));
        }

        using var store = new LocalMetadataStore(copy);
        var stored = (await store.Datasets.ListAsync()).ToDictionary(d => d.Id, StringComparer.Ordinal);
        foreach (var (id, name) in datasets)
        {
            if (!stored.TryGetValue(id, out var dataset))
            {
                Assert.True(maybeDeleted.Contains(id), $"round {round}: acknowledged dataset {id} ({name}) is lost");
                continue;
            }

            Assert.Equal(name, dataset.Name);
            if (descs.TryGetValue(id, out var desc))
            {
                Assert.True(int.Parse(dataset.Desc, CultureInfo.InvariantCulture) >= desc, $"round {round}: acknowledged update of {id} to {desc} is lost (desc {dataset.Desc})");
            }
        }

        foreach (var id in deleted)
        {
            Assert.False(stored.ContainsKey(id), $"round {round}: deleted dataset {id} came back");
        }

        var storedProjects = (await store.Projects.ListAsync()).Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        Assert.All(projects, id => Assert.Contains(id, storedProjects));
        var next = await store.Datasets.CreateAsync(id => new Contracts.Dataset { Id = id });
        Assert.DoesNotContain(next.Id, everCreated);
        Assert.True(EntityIds.Parse("D", next.Id) > everCreated.Where(id => id.StartsWith('D')).Max(id => EntityIds.Parse("D", id)));
    }

    public void Dispose()
    {
        foreach (var path in new[] { directory, directory + "-verify" })
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
    }
}
