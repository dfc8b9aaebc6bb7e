using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

public class DatasetRoutesTests : ServerTestBase
{
    [Fact]
    public async Task Create_returns_did_and_id_in_the_original_format()
    {
        var reply = Expect.Ok(await Api.PostAsync("/dataset", new { name = "我的数据集", desc = "数据集描述", dataset_type = "classification" }));
        Expect.Keys(reply, "status", "did", "id");
        Assert.Equal("D0001", reply["did"]!.GetValue<string>());
        Assert.Equal("D0001", reply["id"]!.GetValue<string>());
        Assert.Equal("D0002", await CreateDatasetAsync());
    }

    [Fact]
    public async Task Get_single_has_the_documented_keys_and_chinese_names_round_trip()
    {
        var did = await CreateDatasetAsync("花卉 🌸 数据集");
        var reply = Expect.Ok(await Api.GetAsync("/dataset", new { did }));
        Expect.Keys(reply, "status", "id", "dataset_status", "message", "attr");
        Assert.Equal(0, reply["dataset_status"]!.GetValue<int>());
        var attr = reply["attr"]!.AsObject();
        Expect.Keys(attr, "type", "id", "name", "path", "desc", "create_time", "pids");
        Assert.Equal("花卉 🌸 数据集", attr["name"]!.GetValue<string>());
        Assert.Equal(DisplayPath($"datasets/{did}"), attr["path"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", attr["create_time"]!.GetValue<string>());
        Assert.Empty(attr["pids"]!.AsArray());
    }

    [Fact]
    public async Task Get_by_query_string_matches_get_by_json_body()
    {
        var did = await CreateDatasetAsync();
        var byBody = await Api.GetAsync("/dataset", new { did });
        var byQuery = await Api.GetQueryAsync($"/dataset?did={did}");
        Assert.Equal(byBody.ToJsonString(), byQuery.ToJsonString());
    }

    [Fact]
    public async Task List_has_status_and_message_in_attr_and_no_pids()
    {
        await CreateDatasetAsync("a");
        await CreateDatasetAsync("b", "detection");
        var reply = Expect.Ok(await Api.GetAsync("/dataset"));
        var datasets = reply["datasets"]!.AsArray();
        Assert.Equal(2, datasets.Count);
        var second = datasets[1]!.AsObject();
        Expect.Keys(second, "id", "attr");
        Expect.Keys(second["attr"]!.AsObject(), "type", "id", "name", "path", "desc", "create_time", "dataset_status", "message");
        Assert.Equal("detection", second["attr"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Direct_upload_urls_come_from_blob_storage_and_the_local_server_says_it_has_none()
    {
        // The embedded server takes archives in the request body (POST /dataset/upload); only Blob
        // Storage hands out upload URLs. Bad input is checked first either way.
        var did = await CreateDatasetAsync();
        Expect.Error(await Api.PostAsync("/dataset/upload/url", new { did = "D0099" }), "dataset_not_found");
        Expect.Error(await Api.PostAsync("/dataset/upload/url", new { }), "missing_argument");
        var reply = await Api.PostAsync("/dataset/upload/url", new { did });
        if (!Azure)
        {
            Expect.Error(reply, "not_available");
            return;
        }

        Expect.Ok(reply);
        var path = reply["path"]!.GetValue<string>();
        Assert.StartsWith($"datasets/{did}/.upload/", path, StringComparison.Ordinal);
        using var http = new HttpClient();
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri(reply["url"]!.GetValue<string>())) { Content = new ByteArrayContent([80, 75, 5, 6]) };
        put.Headers.Add("x-ms-blob-type", reply["headers"]!["x-ms-blob-type"]!.GetValue<string>());
        using var response = await http.SendAsync(put);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        Assert.True(await ExistsAsync(path));
    }

    [Fact]
    public async Task Unknown_dataset_gets_the_original_message()
    {
        Expect.Error(await Api.GetAsync("/dataset", new { did = "D0099" }), "dataset_not_found", "数据集ID'D0099'不存在.");
        Expect.Error(await Api.DeleteAsync("/dataset", new { did = "D0099" }), "dataset_not_found");
    }

    [Fact]
    public async Task Create_with_unknown_type_or_missing_name_burns_no_id_and_changes_nothing()
    {
        await CreateDatasetAsync();
        var before = await WorkspaceStateAsync();
        Expect.Error(await Api.PostAsync("/dataset", new { name = "x", desc = "", dataset_type = "video" }), "invalid_argument", "无法识别的数据类型video");
        Expect.Error(await Api.PostAsync("/dataset", new { desc = "", dataset_type = "classification" }), "missing_argument", "name");
        Assert.Equal(before, await WorkspaceStateAsync());
        Assert.Equal("D0002", await CreateDatasetAsync());
        Assert.False(await ExistsAsync("datasets/D0003"));
    }

    [Fact]
    public async Task Delete_refuses_a_dataset_bound_to_a_project_then_deletes_when_free()
    {
        var did = await CreateDatasetAsync();
        var pid = await CreateProjectAsync();
        Expect.Ok(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { did } }));
        Assert.Equal(pid, (await Api.GetAsync("/dataset", new { did }))["attr"]!["pids"]![0]!.GetValue<string>());
        Expect.Error(await Api.DeleteAsync("/dataset", new { did }), "dataset_in_use", "无法删除数据集,当前仍被1个项目中使用中,请先删除相关项目");
        Expect.Ok(await Api.DeleteAsync("/project", new { pid }));
        Expect.Ok(await Api.DeleteAsync("/dataset", new { did }));
        Expect.Error(await Api.GetAsync("/dataset", new { did }), "dataset_not_found");
        Assert.Equal("D0002", await CreateDatasetAsync());
    }
}

public sealed class DatasetRoutesAzureTests : DatasetRoutesTests
{
    protected override bool Azure => true;
}
