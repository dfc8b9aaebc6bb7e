using System.IO.Compression;
using System.Net;

namespace PaddleX.Cloud.Distributed.Tests;

/// <summary>The documented client flow for archives too big for a Functions request body, in the
/// cloud shape over the emulators: ask the API for an upload URL, PUT the zip straight into Blob
/// Storage, import it with <c>PUT /dataset</c> and the returned path; the worker imports it.</summary>
public sealed class DirectUploadFlowTests() : CloudShapeTestBase("du", TimeSpan.FromSeconds(60))
{
    [Fact]
    public async Task A_zip_put_to_the_upload_url_is_imported_by_the_worker()
    {
        var (server, url) = StartServer();
        await server.WaitUntilAnswersAsync(Http, url + "/dataset", TimeSpan.FromSeconds(90));
        var (worker, health) = StartWorker();
        await worker.WaitUntilAnswersAsync(Http, health + "/health", TimeSpan.FromSeconds(90));

        var did = (await SendAsync(HttpMethod.Post, url + "/dataset", new { name = "direct", desc = "sas", dataset_type = "classification" }))["did"]!.GetValue<string>();
        var grant = await SendAsync(HttpMethod.Post, url + "/dataset/upload/url", new { did });
        Assert.Equal("PUT", grant["method"]!.GetValue<string>());
        var path = grant["path"]!.GetValue<string>();
        Assert.StartsWith("datasets/", path, StringComparison.Ordinal);
        Assert.EndsWith(".zip", path, StringComparison.Ordinal);

        using (var upload = new HttpRequestMessage(HttpMethod.Put, new Uri(grant["url"]!.GetValue<string>())) { Content = new ByteArrayContent(Archive()) })
        {
            foreach (var (name, value) in grant["headers"]!.AsObject())
            {
                upload.Headers.Add(name, value!.GetValue<string>());
            }

            using var response = await Http.SendAsync(upload);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        await SendAsync(HttpMethod.Put, url + "/dataset", new { did, path });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        int status;
        while ((status = (await SendAsync(HttpMethod.Get, url + "/dataset", new { did }))["dataset_status"]!.GetValue<int>()) is not (2 or 4 or 5))
        {
            Assert.True(DateTime.UtcNow < deadline, $"import still at status {status}\n{worker.Output}");
            await Task.Delay(250);
        }

        Assert.True(status == 4, $"import ended with status {status}\n{worker.Output}");
        var files = (await SendAsync(HttpMethod.Get, url + "/dataset/details", new { did }))["details"]!["file_info"]!.AsObject();
        Assert.Equal(10, files.Count);
    }

    /// <summary>Two classes of five small pictures, as a classification zip.</summary>
    private static byte[] Archive()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var label in new[] { "cat", "dog" })
            {
                for (var i = 0; i < 5; i++)
                {
                    var entry = zip.CreateEntry($"{label}/{label}_{i}.bmp");
                    using var stream = entry.Open();
                    stream.Write(TestImages.Bmp(32, 32, (label.Length * 31) + i));
                }
            }
        }

        return buffer.ToArray();
    }
}
