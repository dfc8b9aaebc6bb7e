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
