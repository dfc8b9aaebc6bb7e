using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

public class WorkspaceRoutesTests : ServerTestBase
{
    [Fact]
    public async Task Get_without_args_gives_the_workspace_folder()
    {
        var reply = Expect.Ok(await Api.GetQueryAsync("/workspace"));
        Expect.Keys(reply, "status", "dirname");
        Assert.Equal(Azure ? string.Empty : Server.Workspace, reply["dirname"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_attributes_of_each_struct_by_body_and_by_query()
    {
        var (did, pid, tid) = await CreateTaskAsync();
        var task = Expect.Ok(await Api.GetAsync("/workspace", new { @struct = "task", id = tid, attr_list = new[] { "path", "pid", "id" } }))["attr"]!.AsObject();
        Expect.Keys(task, "path", "pid");
        Assert.Equal(DisplayPath($"projects/{pid}/{tid}"), task["path"]!.GetValue<string>());

        var project = Expect.Ok(await Api.GetQueryAsync($"/workspace?struct=project&id={pid}&attr_list=did&attr_list=name"))["attr"]!.AsObject();
        Assert.Equal(did, project["did"]!.GetValue<string>());
        var dataset = Expect.Ok(await Api.GetQueryAsync($"/workspace?struct=dataset&id={did}&attr_list=%5B%22type%22%5D"))["attr"]!.AsObject();
        Assert.Equal("classification", dataset["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_errors_use_the_original_messages()
    {
        Expect.Error(await Api.GetAsync("/workspace", new { @struct = "model", id = "x", attr_list = new[] { "name" } }), "invalid_argument", "struct只能为dataset, project或task");
        Expect.Error(await Api.GetAsync("/workspace", new { @struct = "dataset", id = "D0404", attr_list = new[] { "name" } }), "dataset_not_found", "数据集ID'D0404'不存在");
        var did = await CreateDatasetAsync();
        Expect.Error(await Api.GetAsync("/workspace", new { @struct = "dataset", id = did, attr_list = new[] { "colour" } }), "invalid_argument", "不存在成员变量'colour'");
    }

    [Fact]
    public async Task Put_binds_and_renames_but_refuses_identity_fields()
    {
        var did = await CreateDatasetAsync();
        var pid = await CreateProjectAsync();
        Expect.Ok(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { did, name = "新名字" } }));
        var attr = Expect.Ok(await Api.GetAsync("/project", new { id = pid }))["attr"]!;
        Assert.Equal(did, attr["did"]!.GetValue<string>());
        Assert.Equal("新名字", attr["name"]!.GetValue<string>());

        var before = await WorkspaceStateAsync();
        foreach (var field in new[] { "id", "path", "type", "create_time" })
        {
            var changes = new Dictionary<string, string> { [field] = "hacked" };
            Expect.Error(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = changes }), "invalid_argument", field);
        }

        Expect.Error(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { did = "D0404" } }), "dataset_not_found");
        Expect.Error(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { name = 5 } }), "invalid_argument");
        Expect.Error(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { name = "ok", path = "/etc" } }), "invalid_argument");
        Assert.Equal(before, await WorkspaceStateAsync());
    }
}

public sealed class WorkspaceRoutesAzureTests : WorkspaceRoutesTests
{
    protected override bool Azure => true;
}
