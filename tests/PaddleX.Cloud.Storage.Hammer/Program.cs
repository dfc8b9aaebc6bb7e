using System.Diagnostics;
using System.Globalization;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Local;

// Usage: <workspace> <writers> <compact-after-bytes> [compaction step to SIGKILL itself at]
// Prints one line per acknowledged change of writer w, after the store acknowledged it:
//   C w <id> <name>   dataset created      P w <id>   project created
//   U w <id> <n>      dataset desc set to n X w <id>   dataset deleted
// (E w <error> when a change fails) and runs until it is killed.
var directory = args[0];
var writers = int.Parse(args[1], CultureInfo.InvariantCulture);
var compactAfter = long.Parse(args[2], CultureInfo.InvariantCulture);
var killAt = args.Length > 3 ? args[3] : null;
var armed = false; // the compaction that recovery runs on start is not the one to interrupt
var store = new LocalMetadataStore(directory, new LocalMetadataStoreOptions
{
    CompactAfterBytes = compactAfter,
    AfterCompactionStep = step =>
    {
        if (step == killAt && Volatile.Read(ref armed))
        {
            Process.GetCurrentProcess().Kill();
        }
    },
});
var run = Guid.NewGuid().ToString("N")[..6];
Console.Out.WriteLine("ready");
Volatile.Write(ref armed, true);
await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
{
    var mine = new List<string>();
    try
    {
        await WriteForeverAsync(w, mine);
    }
    catch (Exception e)
    {
        Console.Out.WriteLine($"E {w} {e.GetType().Name}: {e.Message}");
        throw;
    }
})));

async Task WriteForeverAsync(int w, List<string> mine)
{
    for (var i = 0; ; i++)
    {
        var name = $"{run}-{w}-{i}";
        var created = await store.Datasets.CreateAsync(id => new Dataset { Id = id, Name = name, Desc = "0" });
        mine.Add(created.Id);
        Console.Out.WriteLine($"C {w} {created.Id} {name}");
        if (i % 3 == 2)
        {
            var target = mine[i % mine.Count];
            await store.Datasets.UpdateAsync(target, d => d.Desc = i.ToString(CultureInfo.InvariantCulture));
            Console.Out.WriteLine($"U {w} {target} {i}");
        }

        if (i % 7 == 6)
        {
            var target = mine[0];
            mine.RemoveAt(0);
            await store.Datasets.DeleteAsync(target);
            Console.Out.WriteLine($"X {w} {target}");
        }

        if (i % 5 == 4)
        {
            var project = await store.Projects.CreateAsync(id => new Project { Id = id, Name = name });
            Console.Out.WriteLine($"P {w} {project.Id}");
        }
    }
}
