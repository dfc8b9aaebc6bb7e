using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Tests.Infrastructure;
using PaddleX.Cloud.Datasets.Demo;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>/demo over HTTP on the real server: built-in demos of every type download (generate),
/// load through the import job and validate; a configured source is fetched and checked before
/// extraction; a download can be stopped.</summary>
public sealed class DemoRoutesTests : ServerTestBase
{
    [Theory]
    [InlineData(0, "classification", 3)]
    [InlineData("detection", "detection", 3)]
    [InlineData(2, "segmentation", 4)]
    [InlineData("instance_segmentation", "instance_segmentation", 3)]
    [InlineData(4, "remote_segmentation", 4)]
    public async Task A_built_in_demo_downloads_loads_imports_and_refuses_a_second_load(object prjType, string type, int labels)
    {
        Expect.Ok(await Api.PostAsync("/demo", new { type = "download", prj_type = prjType }));
        await WaitForDemoAsync(prjType, 3);

        var loaded = Expect.Ok(await Api.PostAsync("/demo", new { type = "load", prj_type = prjType }));
        var did = loaded["did"]!.GetValue<string>();
        var pid = loaded["pid"]!.GetValue<string>();
        var dataset = await WaitForDatasetAsync(did);
        Assert.Equal(4, dataset["dataset_status"]!.GetValue<int>());
        Assert.Equal(type, dataset["attr"]!["type"]!.GetValue<string>());
        Assert.Contains("synthetic", dataset["attr"]!["desc"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(pid, dataset["attr"]!["pids"]![0]!.GetValue<string>());

        var details = Expect.Ok(await Api.GetAsync("/dataset/details", new { did }))["details"]!;
        Assert.Equal(labels, details["labels"]!.AsArray().Count);
        Assert.True(details["file_info"]!.AsObject().Count >= 30);

        var project = Expect.Ok(await Api.GetQueryAsync($"/project?pid={pid}"))["attr"]!;
        Assert.Equal(did, project["did"]!.GetValue<string>());
        var tid = project["tasks"]!.AsObject().Single().Key;
        var train = Expect.Ok(await Api.GetAsync("/project/task/params", new { tid }))["train"]!;
        Assert.Equal(string.Empty, train["pretrain_weights"]!.GetValue<string>());
        Assert.True(train["image_shape"]![0]!.GetValue<int>() <= 96, "demo parameters are sized for a CPU");

        var again = Expect.Ok(await Api.PostAsync("/demo", new { type = "load", prj_type = prjType }));
        Assert.Equal("dataset already exists", again["loading_status"]!.GetValue<string>());
        Expect.Ok(await Api.PutAsync("/workspace", new { @struct = "dataset", id = did, attr_dict = new { name = "renamed" } }));
        again = Expect.Ok(await Api.PostAsync("/demo", new { type = "load", prj_type = prjType }));
        Assert.Equal("project already exists", again["loading_status"]!.GetValue<string>());

        // The stop of a finished load keeps what it loaded.
        Expect.Ok(await Api.PutAsync("/demo", new { prj_type = prjType }));
        Expect.Ok(await Api.GetQueryAsync($"/project?pid={pid}"));
    }

    [Fact]
    public async Task Bad_demo_requests_are_refused_and_change_nothing()
    {
        var before = await WorkspaceStateAsync();
        Expect.Error(await Api.PostAsync("/demo", new { type = "download", prj_type = 7 }), "invalid_argument");
        Expect.Error(await Api.PostAsync("/demo", new { type = "download", prj_type = "cats" }), "invalid_argument");
        Expect.Error(await Api.PostAsync("/demo", new { type = "fetch", prj_type = 0 }), "invalid_argument");
        Expect.Error(await Api.PostAsync("/demo", new { prj_type = 0 }), "missing_argument");
        Expect.Error(await Api.PostAsync("/demo", new { type = "load", prj_type = 0 }), "invalid_state", "暂未下载");
        Expect.Error(await Api.PutAsync("/demo", new { prj_type = 1 }), "invalid_state");
        var nothing = Expect.Ok(await Api.GetQueryAsync("/demo?prj_type=classification"))["attr"]!;
        Assert.Null(nothing["status"]);
        Assert.Equal(string.Empty, nothing["progress"]!.GetValue<string>());
        Assert.Equal(before, await WorkspaceStateAsync());
    }

    private async Task<JsonObject> WaitForDemoAsync(object prjType, int status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var attr = Expect.Ok(await Api.GetQueryAsync($"/demo?prj_type={prjType}"))["attr"]!.AsObject();
            var now = attr["status"]?.GetValue<int>();
            if (now == status)
            {
                return attr;
            }

            Assert.True(now != 1 || status == 1, $"demo download failed: {attr.ToJsonString()}");
            Assert.True(DateTime.UtcNow < deadline, $"demo {prjType} did not reach {status}: {attr.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    private async Task<JsonObject> WaitForDatasetAsync(string did)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var reply = Expect.Ok(await Api.GetQueryAsync($"/dataset?did={did}"));
            var status = reply["dataset_status"]!.GetValue<int>();
            if (status is 2 or 4 or 5 or 6)
            {
                Assert.True(status is 4 or 6, $"import failed: {reply.ToJsonString()}");
                return reply;
            }

            Assert.True(DateTime.UtcNow < deadline, $"import of {did} did not finish: {reply.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    /// <summary>A configured source: a good archive is fetched and loads; a corrupt one, one with an
    /// entry escaping its folder, and one without the params file fail with a reason and leave no
    /// demo folder; an unreachable source falls back to the built-in demo.</summary>
    public sealed class WithSource : ServerTestBase
    {
        private readonly string source = TempFolder.Create("demo-source");

        protected override string[] ServerArgs => ["--demo_source", source];

        [Fact]
        public async Task Archives_are_checked_before_extraction_and_a_good_one_loads()
        {
            // classification: a good archive, made of the built-in dataset under a different name
            var built = TempFolder.Create("demo-built");
            var demo = DemoCatalog.Find("0")!;
            DemoDatasetGenerator.Generate(demo, Path.Combine(built, demo.Name), null, CancellationToken.None);
            var paramsFile = Path.Combine(built, demo.Name, Path.GetFileName(demo.ParamsFile));
            File.WriteAllText(paramsFile, File.ReadAllText(paramsFile).Replace("synthetic demo dataset", "from the configured source", StringComparison.Ordinal));
            ZipFile.CreateFromDirectory(built, Path.Combine(source, demo.ArchiveFile));

            // detection: not a zip at all
            await File.WriteAllBytesAsync(Path.Combine(source, "insect_det.zip"), Encoding.ASCII.GetBytes("this is not a zip archive"));

            // segmentation: an entry that climbs out of the extraction folder
            using (var zip = ZipFile.Open(Path.Combine(source, "optic_disc_seg.zip"), ZipArchiveMode.Create))
            {
                using var writer = new StreamWriter(zip.CreateEntry("../../escaped.txt").Open());
                writer.Write("outside");
            }

            // instance segmentation: a valid zip without its params file
            using (var zip = ZipFile.Open(Path.Combine(source, "xiaoduxiong_ins_det.zip"), ZipArchiveMode.Create))
            {
                using var writer = new StreamWriter(zip.CreateEntry("xiaoduxiong_ins_det/readme.txt").Open());
                writer.Write("no params");
            }

            // remote sensing: nothing in the source → the built-in dataset
            foreach (var type in new[] { 0, 1, 2, 3, 4 })
            {
                Expect.Ok(await Api.PostAsync("/demo", new { type = "download", prj_type = type }));
            }

            var good = await WaitForAsync(0, 3);
            Assert.Equal(3, good["status"]!.GetValue<int>());
            var corrupt = await WaitForAsync(1, 1);
            Assert.Contains("insect_det.zip", corrupt["progress"]!.GetValue<string>(), StringComparison.Ordinal);
            var slip = await WaitForAsync(2, 1);
            Assert.Contains("escaped.txt", slip["progress"]!.GetValue<string>(), StringComparison.Ordinal);
            var noParams = await WaitForAsync(3, 1);
            Assert.Contains("xiaoduxiong_ins_det_params.json", noParams["progress"]!.GetValue<string>(), StringComparison.Ordinal);
            await WaitForAsync(4, 3);

            Assert.False(File.Exists(Path.Combine(Server.Workspace, "escaped.txt")));
            Assert.False(File.Exists(Path.Combine(Server.Workspace, "demo_datasets", "escaped.txt")));
            foreach (var failed in new[] { "detection", "segmentation", "instance_segmentation" })
            {
                Assert.False(await ExistsAsync($"demo_datasets/{failed}/{DemoCatalog.Find(failed)!.Name}"), $"{failed} left files behind");
                Expect.Error(await Api.PostAsync("/demo", new { type = "load", prj_type = failed }), "invalid_state", "暂未解压");
            }

            var loaded = Expect.Ok(await Api.PostAsync("/demo", new { type = "load", prj_type = "classification" }));
            var dataset = Expect.Ok(await Api.GetQueryAsync($"/dataset?did={loaded["did"]}"));
            Assert.Contains("from the configured source", dataset["attr"]!["desc"]!.GetValue<string>(), StringComparison.Ordinal);

            // A failed download may be started again (here: the archive was fixed meanwhile).
            File.Copy(Path.Combine(source, demo.ArchiveFile), Path.Combine(source, "insect_det.zip"), overwrite: true);
            Expect.Ok(await Api.PostAsync("/demo", new { type = "download", prj_type = 1 }));
            var retried = await WaitForAsync(1, 1, afterProgress: "insect_det_params.json");
            Assert.Contains("insect_det_params.json", retried["progress"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        private async Task<JsonObject> WaitForAsync(int prjType, int status, string? afterProgress = null)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var attr = Expect.Ok(await Api.GetQueryAsync($"/demo?prj_type={prjType}"))["attr"]!.AsObject();
                if (attr["status"]?.GetValue<int>() == status && (afterProgress is null || attr["progress"]?.ToString().Contains(afterProgress, StringComparison.Ordinal) == true))
                {
                    return attr;
                }

                Assert.True(DateTime.UtcNow < deadline, $"demo {prjType} did not reach {status}: {attr.ToJsonString()}");
                await Task.Delay(100);
            }
        }
    }

    /// <summary>An HTTP source that trickles its archive: progress is reported while downloading,
    /// and PUT /demo stops the download.</summary>
    public sealed class WithSlowHttpSource : ServerTestBase, IDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);

        private readonly CancellationTokenSource stop = new();

        public WithSlowHttpSource()
        {
            listener.Start();
            _ = ServeAsync();
        }

        protected override string[] ServerArgs => ["--demo_source", $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/demos"];

        [Fact]
        public async Task A_download_reports_progress_and_stops_on_put()
        {
            Expect.Ok(await Api.PostAsync("/demo", new { type = "download", prj_type = "segmentation" }));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            JsonObject attr;
            do
            {
                Assert.True(DateTime.UtcNow < deadline, "no download progress");
                await Task.Delay(100);
                attr = Expect.Ok(await Api.GetQueryAsync("/demo?prj_type=segmentation"))["attr"]!.AsObject();
            }
            while (attr["progress"] is not JsonValue v || !v.TryGetValue<double>(out var p) || p <= 0);
            Assert.Equal(0, attr["status"]!.GetValue<int>());

            Expect.Ok(await Api.PostAsync("/demo", new { type = "download", prj_type = 2 })); // a second start while running does nothing
            Expect.Ok(await Api.PutAsync("/demo", new { prj_type = 2 }));
            deadline = DateTime.UtcNow.AddSeconds(30);
            do
            {
                Assert.True(DateTime.UtcNow < deadline, $"download did not stop: {attr.ToJsonString()}");
                await Task.Delay(100);
                attr = Expect.Ok(await Api.GetQueryAsync("/demo?prj_type=segmentation"))["attr"]!.AsObject();
            }
            while (attr["status"]!.GetValue<int>() != 1);
            Assert.Contains("stopped", attr["progress"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.False(await ExistsAsync("demo_datasets/segmentation/optic_disc_seg"));
        }

        private async Task ServeAsync()
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var client = await listener.AcceptTcpClientAsync(stop.Token);
                    _ = TrickleAsync(client);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task TrickleAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var buffer = new byte[4096];
                    _ = await stream.ReadAsync(buffer, stop.Token);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: 10000000\r\n\r\n"), stop.Token);
                    var chunk = new byte[2000];
                    for (var i = 0; i < 5000; i++)
                    {
                        await stream.WriteAsync(chunk, stop.Token);
                        await Task.Delay(50, stop.Token);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
                {
                }
            }
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
            listener.Dispose();
            stop.Dispose();
        }
    }
}
