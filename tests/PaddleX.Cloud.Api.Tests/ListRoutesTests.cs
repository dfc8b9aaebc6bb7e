using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

/// <summary><c>GET /dataset</c> and <c>GET /project</c> answer from list items cached per entity
/// version: the answer must still be exactly the list built from the current entities after every
/// kind of change.</summary>
public sealed class ListRoutesTests : ServerTestBase
{
    [Fact]
    public async Task Cached_lists_follow_every_change_and_keep_the_original_shape()
    {
        for (var i = 0; i < 3; i++)
        {
            await CreateDatasetAsync("d" + i);
            await CreateProjectAsync();
        }

        await AssertListsMatchStoreAsync();
        Expect.Ok(await Api.PutAsync("/workspace", new { @struct = "dataset", id = "D0002", attr_dict = new { desc = "changed" } }));
        Expect.Ok(await Api.PutAsync("/workspace", new { @struct = "project", id = "P0003", attr_dict = new { did = "D0002" } }));
        await Metadata.Datasets.UpdateAsync("D0003", d => d.State = new JobState { Status = 3, Message = "{\"percent\": 12.5}" });
        await AssertListsMatchStoreAsync();
        Assert.Equal("changed", (await Api.GetAsync("/dataset"))["datasets"]![1]!["attr"]!["desc"]!.GetValue<string>());

        Expect.Ok(await Api.DeleteAsync("/project", new { pid = "P0001" }));
        Expect.Ok(await Api.DeleteAsync("/dataset", new { did = "D0001" }));
        await CreateDatasetAsync("d3");
        await AssertListsMatchStoreAsync();
        Assert.Equal(["D0002", "D0003", "D0004"], (await Api.GetAsync("/dataset"))["datasets"]!.AsArray().Select(d => d!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_client_that_accepts_gzip_gets_the_same_list_compressed_and_304_while_it_is_unchanged()
    {
        for (var i = 0; i < 40; i++)
        {
            await CreateDatasetAsync("d" + i);
        }

        var (plain, plainResponse) = await ListAsync(gzip: false);
        var (zipped, zippedResponse) = await ListAsync(gzip: true);
        Assert.Null(plainResponse.Content.Headers.ContentEncoding.FirstOrDefault());
        Assert.Equal("gzip", zippedResponse.Content.Headers.ContentEncoding.Single());
        Assert.True(zippedResponse.Content.Headers.ContentLength < plainResponse.Content.Headers.ContentLength / 4);
        Assert.Equal(plain, zipped);
        Assert.Contains("Accept-Encoding", zippedResponse.Headers.Vary);
        var etag = zippedResponse.Headers.ETag!;
        Assert.Equal(etag, plainResponse.Headers.ETag);

        using (var again = new HttpRequestMessage(HttpMethod.Get, "/dataset"))
        {
            again.Headers.IfNoneMatch.Add(etag);
            using var notModified = await Api.Http.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        }

        await CreateDatasetAsync("one more");
        var (changed, changedResponse) = await ListAsync(gzip: true, ifNoneMatch: etag);
        Assert.Equal(HttpStatusCode.OK, changedResponse.StatusCode);
        Assert.NotEqual(etag, changedResponse.Headers.ETag);
        Assert.Equal(41, JsonNode.Parse(changed)!["datasets"]!.AsArray().Count);
    }

    [Fact]
    public async Task Under_concurrent_writes_every_list_is_whole_and_holds_what_its_client_wrote_before()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            var mine = new List<string>();
            for (var n = 0; n < 12; n++)
            {
                mine.Add((await Api.PostAsync("/dataset", new { name = $"w{writer}-{n}", desc = "", dataset_type = "classification" }))["did"]!.GetValue<string>());
                var (text, response) = await ListAsync(gzip: n % 3 != 0);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var listed = JsonNode.Parse(text)!["datasets"]!.AsArray().Select(d => d!["id"]!.GetValue<string>()).ToHashSet();
                Assert.Subset(listed, mine.ToHashSet());
            }
        })));
        await AssertListsMatchStoreAsync();
    }

    private async Task<(string Text, HttpResponseMessage Response)> ListAsync(bool gzip, EntityTagHeaderValue? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dataset");
        if (gzip)
        {
            request.Headers.AcceptEncoding.ParseAdd("gzip, deflate"); // what Python requests sends
        }

        if (ifNoneMatch is not null)
        {
            request.Headers.IfNoneMatch.Add(ifNoneMatch);
        }

        var response = await Api.Http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(response.Content.Headers.ContentLength, bytes.Length);
        if (response.Content.Headers.ContentEncoding.Contains("gzip"))
        {
            using var gunzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var text = new StreamReader(gunzip);
            return (await text.ReadToEndAsync(), response);
        }

        return (System.Text.Encoding.UTF8.GetString(bytes), response);
    }

    /// <summary>The lists as the handlers built them before they were cached.</summary>
    private async Task AssertListsMatchStoreAsync()
    {
        var datasets = new JsonArray();
        foreach (var d in await Metadata.Datasets.ListAsync())
        {
            var attr = Views.DatasetAttr(d, Artifacts);
            attr["dataset_status"] = Views.DatasetStatusOf(d);
            attr["message"] = Views.Message(d.State);
            datasets.Add(new JsonObject { ["id"] = d.Id, ["attr"] = attr });
        }

        var projects = new JsonArray((await Metadata.Projects.ListAsync()).Select(p => (JsonNode?)new JsonObject { ["id"] = p.Id, ["attr"] = Views.ProjectAttr(p, Artifacts) }).ToArray());
        Assert.Equal(new JsonObject { ["status"] = 1, ["datasets"] = datasets }.ToJsonString(), (await Api.GetAsync("/dataset")).ToJsonString());
        Assert.Equal(new JsonObject { ["status"] = 1, ["projects"] = projects }.ToJsonString(), (await Api.GetQueryAsync("/project")).ToJsonString());
    }
}
