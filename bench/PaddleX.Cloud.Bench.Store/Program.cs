using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Google.Protobuf;
using PaddleX.Cloud.Contracts;

// Metadata store load benchmark.
//   seed <workspace> <datasets> <projects>        writes workspace.newest.pb (the original format)
//   load <url> <server-pid> <clients> <seconds> <warmup-seconds> <datasets> <projects> [gzip|identity] [growing|steady]
//        mixed traffic against a running server: 70 % reads (30 % GET /dataset?did, 30 % GET /project?id,
//        5 % GET /dataset, 5 % GET /project), 30 % writes (10 % on datasets, 10 % on projects, 10 % PUT
//        /workspace changing a dataset's desc); prints errors, req/s, p50/p99 and server RSS.
//        gzip (the default) sends "Accept-Encoding: gzip, deflate" and decompresses every answer, as
//        Python requests does; identity sends no Accept-Encoding.
//        growing (the default): the dataset and project writes are creates, so the workspace grows
//        by thousands of entities a second. steady: each client creates up to SteadyBacklog datasets
//        and projects of its own and from then on deletes its oldest one where it would create
//        another, so the workspace stays at the seeded size (creates, deletes and updates).
//   profile <url> <server-pid> <clients> <seconds> <datasets> <projects> [gzip|identity]
//        each request kind of the mix alone for <seconds>: server and load-generator CPU per request.
//   store <workspace> <writers> <seconds>          the store alone, in this process: half creates, half
//        updates of a random dataset; prints writes/s and p50/p99, next to the device's fsync latency.
//        Built against either store (the script copies this project into the previous design's tree).
return args[0] switch
{
    "seed" => Seed(args[1], Int(args[2]), Int(args[3])),
    "store" => await StoreAsync(args[1], Int(args[2]), Int(args[3])),
    "load" => await LoadAsync(Client(args[1], Int(args[3]), args.ElementAtOrDefault(8)), Int(args[2]), Int(args[3]), Int(args[4]), Int(args[5]), Int(args[6]), Int(args[7]), Steady(args.ElementAtOrDefault(9))),
    "profile" => await ProfileAsync(Client(args[1], Int(args[3]), args.ElementAtOrDefault(7)), Int(args[2]), Int(args[3]), Int(args[4]), Int(args[5]), Int(args[6])),
    _ => throw new ArgumentException("seed | load | profile | store"),
};

static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

static bool Steady(string? mix) => (mix ?? "growing") switch
{
    "growing" => false,
    "steady" => true,
    _ => throw new ArgumentException("growing | steady"),
};

static int Seed(string directory, int datasets, int projects)
{
    Directory.CreateDirectory(directory);
    var workspace = new Workspace { Version = "0.2.0", Path = directory, MaxDatasetId = datasets, MaxProjectId = projects };
    for (var i = 1; i <= datasets; i++)
    {
        var id = $"D{i:D4}";
        workspace.Datasets.Add(id, new Dataset
        {
            Id = id, Name = $"dataset {i}", Desc = "seeded for the store benchmark", Type = "classification",
            Path = $"datasets/{id}", CreateTime = "2026-11-30 09:00:00", State = new JobState { Status = 4, Message = "" },
        });
    }

    for (var i = 1; i <= projects; i++)
    {
        var id = $"P{i:D4}";
        workspace.Projects.Add(id, new Project
        {
            Id = id, Name = $"project {i}", Desc = "seeded for the store benchmark", Type = "classification",
            Did = $"D{(i % datasets) + 1:D4}", Path = $"projects/{id}", CreateTime = "2026-11-30 09:00:00",
        });
    }

    File.WriteAllBytes(Path.Combine(directory, "workspace.newest.pb"), workspace.ToByteArray());
    Console.WriteLine($"seeded {datasets} datasets, {projects} projects: {new FileInfo(Path.Combine(directory, "workspace.newest.pb")).Length / 1024} KiB");
    return 0;
}

static async Task<int> StoreAsync(string directory, int writers, int seconds)
{
    Console.WriteLine($"fsync of a 128-byte append on this device: p50 {Percentile(FsyncLatencies(directory), 0.5):F2} ms");
    var opened = Stopwatch.StartNew();
    PaddleX.Cloud.Storage.Ports.IMetadataStore store = new PaddleX.Cloud.Storage.Local.LocalMetadataStore(directory);
    var datasets = (await store.Datasets.ListAsync()).Count;
    Console.WriteLine($"opened {datasets} datasets in {opened.ElapsedMilliseconds} ms");
    var latencies = new List<double>();
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
    {
        var random = new Random(w);
        for (var n = 0; n < 1_000_000 && clock.Elapsed.TotalSeconds < seconds; n++)
        {
            var start = Stopwatch.GetTimestamp();
            if (n % 2 == 0)
            {
                await store.Datasets.CreateAsync(id => new Dataset { Id = id, Name = $"store {w}-{n}", Type = "detection", Path = "datasets/" + id });
            }
            else
            {
                await store.Datasets.UpdateAsync($"D{random.Next(1, datasets + 1):D4}", d => d.Desc = $"changed by {w}-{n}");
            }

            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            lock (latencies)
            {
                latencies.Add(ms);
            }
        }
    })));
    var elapsed = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"{writers} writers, {seconds} s: {latencies.Count} writes, {latencies.Count / elapsed:F0} writes/s, p50 {Percentile(latencies, 0.5):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms");
    (store as IDisposable)?.Dispose(); // the previous design's store is not disposable
    return 0;
}

static List<double> FsyncLatencies(string directory)
{
    var path = Path.Combine(directory, "fsync-probe.tmp");
    var samples = new List<double>();
    using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write))
    {
        for (var i = 0; i < 100; i++)
        {
            var start = Stopwatch.GetTimestamp();
            stream.Write(new byte[128]);
            stream.Flush(flushToDisk: true);
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    File.Delete(path);
    return samples;
}

// Each request kind alone for a few seconds: the server's and the load generator's CPU time per
// request of that kind, which is what the mixed run's throughput is made of.
static async Task<int> ProfileAsync(HttpClient http, int serverPid, int clients, int seconds, int datasets, int projects)
{
    using var owned = http;
    foreach (var (label, roll) in new[] { ("GET /dataset?did=", 0), ("GET /project?id=", 30), ("GET /dataset", 60), ("GET /project", 65), ("POST /dataset", 70), ("POST /project", 80), ("PUT /workspace", 90) })
    {
        await RunMixAsync(http, clients, TimeSpan.FromSeconds(1), datasets, projects, _ => roll);
        var statsBefore = await ServerStatsAsync();
        var (serverCpu, ownCpu) = (CpuSeconds(serverPid), Environment.CpuUsage.TotalTime.TotalSeconds);
        var result = await RunMixAsync(http, clients, TimeSpan.FromSeconds(seconds), datasets, projects, _ => roll);
        (serverCpu, ownCpu) = (CpuSeconds(serverPid) - serverCpu, Environment.CpuUsage.TotalTime.TotalSeconds - ownCpu);
        var statsAfter = await ServerStatsAsync();
        var samples = roll < 70 ? result.Reads : result.Writes;
        var allocated = statsAfter.Count > 0
            ? $", allocated {Delta(statsBefore, statsAfter, "allocated_bytes") / 1024 / result.Requests,7:F1} KiB (large-object heap {Delta(statsBefore, statsAfter, "loh_bytes") / 1024 / result.Requests,6:F1} KiB), gen2 GCs {Delta(statsBefore, statsAfter, "gc2"),3:F0}"
            : string.Empty;
        Console.WriteLine($"{label,-18} {result.Requests,6} requests, {result.Errors} errors, p50 {Percentile(samples, 0.5),7:F1} ms; per request: server CPU {serverCpu * 1000 / result.Requests,6:F2} ms, load generator CPU {ownCpu * 1000 / result.Requests,6:F2} ms{allocated}");
        if (statsAfter.Count > 0)
        {
            Console.WriteLine($"{string.Empty,-18} by type (sampled, KiB/request): {TopTypes(statsBefore, statsAfter, result.Requests)}");
        }
    }

    return 0;
}

// encoding: gzip (default) asks for "gzip, deflate" and decompresses, as Python requests does.
static HttpClient Client(string url, int clients, string? encoding)
{
    var gzip = (encoding ?? "gzip") switch
    {
        "gzip" => true,
        "identity" => false,
        _ => throw new ArgumentException("gzip | identity"),
    };
    Console.WriteLine($"client: {clients} connections, Accept-Encoding: {(gzip ? "gzip, deflate (answers decompressed)" : "none")}");
    return new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = clients,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = gzip ? System.Net.DecompressionMethods.GZip | System.Net.DecompressionMethods.Deflate : System.Net.DecompressionMethods.None,
    })
    {
        BaseAddress = new Uri(url),
        Timeout = TimeSpan.FromSeconds(30),
    };
}

static async Task<int> LoadAsync(HttpClient http, int serverPid, int clients, int seconds, int warmupSeconds, int datasets, int projects, bool steady)
{
    using var owned = http;
    await PrintListSizesAsync(http.BaseAddress!);
    Console.WriteLine(steady
        ? $"mix: steady (each client keeps at most {Backlogs.SteadyBacklog} datasets and {Backlogs.SteadyBacklog} projects of its own: creates, deletes, updates)"
        : "mix: growing (dataset and project writes are creates, plus updates)");

    var backlogs = steady ? Enumerable.Range(0, clients).Select(_ => new Backlogs()).ToArray() : null;
    using var sampling = new CancellationTokenSource();
    var rssSeries = SampleRssAsync(serverPid, sampling.Token);
    var warmup = await RunAsync(http, clients, TimeSpan.FromSeconds(warmupSeconds), datasets, projects, backlogs);
    var rssAfterWarmup = Rss(serverPid);
    var statsBefore = await ServerStatsAsync();
    var (serverCpu, ownCpu, machineCpu) = (CpuSeconds(serverPid), Environment.CpuUsage.TotalTime.TotalSeconds, MachineBusySeconds());
    var measured = await RunAsync(http, clients, TimeSpan.FromSeconds(seconds), datasets, projects, backlogs);
    var rssAtEnd = Rss(serverPid);
    await sampling.CancelAsync();
    var series = await rssSeries;
    var statsAfter = await ServerStatsAsync();
    (serverCpu, ownCpu, machineCpu) = (CpuSeconds(serverPid) - serverCpu, Environment.CpuUsage.TotalTime.TotalSeconds - ownCpu, MachineBusySeconds() - machineCpu);
    Console.WriteLine($"warm-up {warmupSeconds} s: {warmup.Requests} requests, {warmup.Errors} errors");
    Console.WriteLine($"clients {clients}, {seconds} s: {measured.Requests} requests, {measured.Errors} errors, {measured.Requests / measured.Elapsed.TotalSeconds:F0} req/s");
    Console.WriteLine($"workspace: {datasets + projects} entities seeded; warm-up created {warmup.Created}, deleted {warmup.Deleted}; measured run created {measured.Created}, deleted {measured.Deleted}; {datasets + projects + warmup.Created - warmup.Deleted} -> {datasets + projects + warmup.Created - warmup.Deleted + measured.Created - measured.Deleted} entities");
    foreach (var (label, samples) in new[] { ("reads", measured.Reads), ("  item reads", measured.ItemReads), ("  list reads", measured.ListReads), ("writes", measured.Writes) })
    {
        Console.WriteLine($"{label,-13} n={samples.Count,7}  p50 {Percentile(samples, 0.50),8:F1} ms  p99 {Percentile(samples, 0.99),8:F1} ms  max {Percentile(samples, 1),8:F1} ms");
    }

    var perRequest = 1000.0 / Math.Max(measured.Requests, 1);
    Console.WriteLine($"CPU while measured: server {serverCpu:F1} s ({serverCpu * perRequest:F2} ms/request), load generator {ownCpu:F1} s ({ownCpu * perRequest:F2} ms/request), everything else on the machine {machineCpu - serverCpu - ownCpu:F1} s, of {Environment.ProcessorCount * measured.Elapsed.TotalSeconds:F0} core-s");
    Console.WriteLine($"server RSS after warm-up {rssAfterWarmup / 1024} MiB, at the end {rssAtEnd / 1024} MiB ({(rssAtEnd - rssAfterWarmup) * 100.0 / rssAfterWarmup:+0.0;-0.0} %)");
    var measuredSeries = series.Skip(warmupSeconds).ToList();
    Console.WriteLine($"server RSS every 5 s from the start of the warm-up (MiB): {string.Join(" ", series.Where((_, i) => i % 5 == 0).Select(k => k / 1024))}; while measured: lowest {measuredSeries.DefaultIfEmpty(0).Min() / 1024}, highest {measuredSeries.DefaultIfEmpty(0).Max() / 1024} ({(measuredSeries.DefaultIfEmpty(0).Max() - rssAfterWarmup) * 100.0 / rssAfterWarmup:+0.0;-0.0} % over the value after warm-up)");
    PrintServerStats(statsBefore, statsAfter, measured.Requests, measured.ListReads.Count);
    foreach (var error in measured.ErrorSamples.Concat(warmup.ErrorSamples).Take(5))
    {
        Console.WriteLine("error: " + error);
    }

    return 0;
}

// What one whole-list answer costs on the wire, with and without gzip.
static async Task PrintListSizesAsync(Uri url)
{
    using var raw = new HttpClient { BaseAddress = url };
    foreach (var path in new[] { "/dataset", "/project" })
    {
        var sizes = new List<string>();
        foreach (var gzip in new[] { false, true })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (gzip)
            {
                request.Headers.AcceptEncoding.ParseAdd("gzip, deflate");
            }

            using var response = await raw.SendAsync(request);
            var encoding = response.Content.Headers.ContentEncoding.FirstOrDefault() ?? "identity";
            sizes.Add($"{(await response.Content.ReadAsByteArrayAsync()).Length / 1024.0:F0} KiB {encoding}");
        }

        Console.WriteLine($"GET {path} on the wire: {string.Join(", ", sizes)}");
    }
}

static Task<Result> RunAsync(HttpClient http, int clients, TimeSpan duration, int datasets, int projects, Backlogs[]? backlogs = null) =>
    RunMixAsync(http, clients, duration, datasets, projects, random => random.Next(100), backlogs);

// roll picks the request: < 30 item read of a dataset, < 60 of a project, < 65 list of datasets,
// < 70 list of projects, < 80 create a dataset, < 90 create a project, else update a dataset. With
// backlogs (the steady mix) a client that already holds its share of datasets (projects) deletes its
// oldest one instead of creating another.
static async Task<Result> RunMixAsync(HttpClient http, int clients, TimeSpan duration, int datasets, int projects, Func<Random, int> roller, Backlogs[]? backlogs = null)
{
    var result = new Result();
    var clock = Stopwatch.StartNew();
    const int MaxRequestsPerClient = 1_000_000; // bounded in count as well as in time
    await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
    {
        var random = new Random(c);
        for (var n = 0; n < MaxRequestsPerClient && clock.Elapsed < duration; n++)
        {
            var roll = roller(random);
            var start = Stopwatch.GetTimestamp();
            string? error;
            try
            {
                var owned = roll is >= 70 and < 90 ? backlogs?[c].Of(dataset: roll < 80) : null;
                if (owned is { Count: >= Backlogs.SteadyBacklog })
                {
                    var id = owned.Dequeue();
                    error = roll < 80
                        ? await WriteAsync(http, HttpMethod.Delete, "/dataset", new { did = id })
                        : await WriteAsync(http, HttpMethod.Delete, "/project", new { pid = id });
                    Interlocked.Increment(ref result.Deleted);
                }
                else
                {
                    string? created = null;
                    error = roll switch
                    {
                        < 30 => await ReadAsync(http, $"/dataset?did=D{random.Next(1, datasets + 1):D4}"),
                        < 60 => await ReadAsync(http, $"/project?id=P{random.Next(1, projects + 1):D4}"),
                        < 65 => await ReadAsync(http, "/dataset"),
                        < 70 => await ReadAsync(http, "/project"),
                        < 80 => await WriteAsync(http, HttpMethod.Post, "/dataset", new { name = $"load {c}-{n}", desc = "", dataset_type = "detection" }, head => created = IdIn(head, "\"did\":\"")),
                        < 90 => await WriteAsync(http, HttpMethod.Post, "/project", new { name = $"load {c}-{n}", desc = "", project_type = "detection" }, head => created = IdIn(head, "\"pid\":\"")),
                        _ => await WriteAsync(http, HttpMethod.Put, "/workspace", new { @struct = "dataset", id = $"D{random.Next(1, datasets + 1):D4}", attr_dict = new { desc = $"changed by {c}-{n}" } }),
                    };
                    if (created is not null)
                    {
                        owned?.Enqueue(created);
                        Interlocked.Increment(ref result.Created);
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                error = e.GetType().Name + ": " + e.Message;
            }

            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            lock (result)
            {
                result.Requests++;
                (roll < 70 ? result.Reads : result.Writes).Add(ms);
                if (roll < 70)
                {
                    (roll < 60 ? result.ItemReads : result.ListReads).Add(ms);
                }

                if (error is not null)
                {
                    result.Errors++;
                    if (result.ErrorSamples.Count < 5)
                    {
                        result.ErrorSamples.Add(error);
                    }
                }
            }
        }
    })));
    result.Elapsed = clock.Elapsed;
    return result;
}

static Task<string?> ReadAsync(HttpClient http, string path) =>
    SendAsync(http, new HttpRequestMessage(HttpMethod.Get, path));

static Task<string?> WriteAsync(HttpClient http, HttpMethod method, string path, object body, Action<string>? readHead = null) =>
    SendAsync(http, new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) }, readHead);

// The id after key in the head of a create's answer ({"status":1,"did":"D0004",...}).
static string? IdIn(string head, string key)
{
    var at = head.IndexOf(key, StringComparison.Ordinal);
    var end = at < 0 ? -1 : head.IndexOf('"', at + key.Length);
    return end < 0 ? null : head[(at + key.Length)..end];
}

// The answer's head is checked ({"status":1 comes first in every success) and the rest is drained
// through one reused buffer: a 2.3 MB list is neither kept nor parsed, so the load generator's own
// cost stays small next to the server's.
static async Task<string?> SendAsync(HttpClient http, HttpRequestMessage request, Action<string>? readHead = null)
{
    using (request)
    {
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int head = 0, read;
            while ((read = await body.ReadAsync(buffer.AsMemory(head))) > 0)
            {
                head += read;
                if (head >= 64 || head == buffer.Length)
                {
                    break;
                }
            }

            var ok = response.IsSuccessStatusCode && buffer.AsSpan(0, head).StartsWith("{\"status\":1"u8);
            if (ok && readHead is not null)
            {
                readHead(System.Text.Encoding.UTF8.GetString(buffer.AsSpan(0, head)));
            }

            var error = ok ? null : $"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(buffer.AsSpan(0, Math.Min(head, 200)))}";
            while (read > 0 && await body.ReadAsync(buffer) > 0)
            {
            }

            return error;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

// The server's runtime counters (RuntimeStats, loaded by the script as a startup hook), read after
// the hook's next write so they cover everything up to now; empty when the hook is not loaded.
static async Task<Dictionary<string, double>> ServerStatsAsync()
{
    var path = Environment.GetEnvironmentVariable(PaddleX.Cloud.Bench.Store.RuntimeStats.FileVariable);
    if (path is null || !File.Exists(path))
    {
        return [];
    }

    await Task.Delay(450);
    return PaddleX.Cloud.Bench.Store.RuntimeStats.Read(path);
}

static double Delta(Dictionary<string, double> before, Dictionary<string, double> after, string name) =>
    after.GetValueOrDefault(name) - before.GetValueOrDefault(name);

static void PrintServerStats(Dictionary<string, double> before, Dictionary<string, double> after, long requests, int listReads)
{
    if (after.Count == 0)
    {
        return;
    }

    double D(string name) => Delta(before, after, name);
    var perRequest = 1.0 / Math.Max(requests, 1);
    Console.WriteLine($"server runtime while measured: allocated {D("allocated_bytes") / 1048576:F0} MiB ({D("allocated_bytes") / 1024 * perRequest:F1} KiB/request), large-object heap ~{D("loh_bytes") / 1048576:F0} MiB ({D("loh_bytes") / 1024 * perRequest:F1} KiB/request), pinned ~{D("poh_bytes") / 1048576:F0} MiB");
    Console.WriteLine($"server GCs gen0/gen1/gen2 {D("gc0"):F0}/{D("gc1"):F0}/{D("gc2"):F0}, paused {D("pause_ms"):F0} ms in all; pauses >= 5/10/20/50/100 ms: {D("pauses_5ms"):F0}/{D("pauses_10ms"):F0}/{D("pauses_20ms"):F0}/{D("pauses_50ms"):F0}/{D("pauses_100ms"):F0}, longest since start {after.GetValueOrDefault("pause_max_ms"):F1} ms");
    Console.WriteLine($"server GC heap after the last GC {before.GetValueOrDefault("heap_bytes") / 1048576:F0} -> {after.GetValueOrDefault("heap_bytes") / 1048576:F0} MiB, committed {before.GetValueOrDefault("committed_bytes") / 1048576:F0} -> {after.GetValueOrDefault("committed_bytes") / 1048576:F0} MiB");
    Console.WriteLine($"server thread pool: threads {after.GetValueOrDefault("threads"):F0} (most {after.GetValueOrDefault("threads_max"):F0}), queued work items mean {D("queue_sum") / Math.Max(D("queue_samples"), 1):F1} (most since start {after.GetValueOrDefault("queue_max"):F0})");
    Console.WriteLine($"server allocations by type (sampled, KiB/request): {TopTypes(before, after, requests)}");
    var (cached, waited, made) = (D("paddlex.list.reads.cached.sum"), D("paddlex.list.reads.waited.sum"), D("paddlex.list.reads.made.sum"));
    if (cached + waited + made > 0)
    {
        Console.WriteLine($"server list bodies: {listReads} list reads; body ready {cached:F0}, made by another reader meanwhile {waited:F0}, made {made:F0} ({made * 100 / (cached + waited + made):F0} %), {D("paddlex.list.body_make.sum") / Math.Max(D("paddlex.list.body_make.count"), 1):F2} ms per body made (longest since start {after.GetValueOrDefault("paddlex.list.body_make.max"):F1} ms)");
    }
}

// The types that crossed the runtime's allocation ticks (one per ~100 KB allocated) most often.
static string TopTypes(Dictionary<string, double> before, Dictionary<string, double> after, long requests)
{
    var prefix = PaddleX.Cloud.Bench.Store.RuntimeStats.TypePrefix;
    var types = after.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
        .Select(k => (Type: k[prefix.Length..], Bytes: Delta(before, after, k))).Where(t => t.Bytes > 0).OrderByDescending(t => t.Bytes).Take(8);
    return string.Join(", ", types.Select(t => $"{t.Type} {t.Bytes / 1024 / Math.Max(requests, 1):F1}"));
}

static double Percentile(List<double> samples, double p)
{
    if (samples.Count == 0)
    {
        return double.NaN;
    }

    samples.Sort();
    return samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(p * samples.Count) - 1)];
}

// The server's RSS (KiB) once a second until cancelled.
static async Task<List<long>> SampleRssAsync(int pid, CancellationToken cancellation)
{
    var series = new List<long>();
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
    try
    {
        do
        {
            series.Add(Rss(pid));
        }
        while (await timer.WaitForNextTickAsync(cancellation));
    }
    catch (OperationCanceledException)
    {
    }

    return series;
}

static long Rss(int pid)
{
    var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture); // KiB
}

// utime + stime of a process, in clock ticks of 1/100 s (USER_HZ on Linux).
static double CpuSeconds(int pid)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

// Busy time of all cores (everything but idle and iowait), in seconds.
static double MachineBusySeconds()
{
    var ticks = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
    return (ticks.Sum() - ticks[3] - ticks[4]) / 100.0;
}

internal sealed class Result
{
    public long Created;

    public long Deleted;

    public long Requests { get; set; }

    public long Errors { get; set; }

    public List<double> Reads { get; } = [];

    public List<double> ItemReads { get; } = [];

    public List<double> ListReads { get; } = [];

    public List<double> Writes { get; } = [];

    public List<string> ErrorSamples { get; } = [];

    public TimeSpan Elapsed { get; set; }
}

/// <summary>The datasets and projects one client of the steady mix created and has not deleted yet,
/// oldest first.</summary>
internal sealed class Backlogs
{
    public const int SteadyBacklog = 4;

    private readonly Queue<string> datasets = new();
    private readonly Queue<string> projects = new();

    public Queue<string> Of(bool dataset) => dataset ? datasets : projects;
}
