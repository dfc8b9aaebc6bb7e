using System.Text.Json;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

public class ProjectAndTaskRoutesTests : ServerTestBase
{
    [Fact]
    public async Task Project_create_get_list_with_original_shapes()
    {
        var pid = await CreateProjectAsync("分类项目");
        Assert.Equal("P0001", pid);
        var single = Expect.Ok(await Api.GetAsync("/project", new { id = pid }));
        Expect.Keys(single, "status", "attr");
        Expect.Keys(single["attr"]!.AsObject(), "id", "name", "desc", "type", "did", "path", "create_time", "tasks");
        Assert.Equal("分类项目", single["attr"]!["name"]!.GetValue<string>());
        Assert.Equal(string.Empty, single["attr"]!["did"]!.GetValue<string>());

        var list = Expect.Ok(await Api.GetQueryAsync("/project"))["projects"]!.AsArray();
        Assert.Single(list);
        Expect.Keys(list[0]!.AsObject(), "id", "attr");
        Expect.Keys(list[0]!["attr"]!.AsObject(), "id", "name", "desc", "type", "did", "path", "create_time");
    }

    [Fact]
    public async Task Project_errors_use_the_original_messages()
    {
        Expect.Error(await Api.GetAsync("/project", new { id = "P0042" }), "project_not_found", "项目ID'P0042'不存在");
        Expect.Error(await Api.DeleteAsync("/project", new { pid = "P0042" }), "project_not_found", "项目ID'P0042'不存在.");
        Expect.Error(await Api.PostAsync("/project", new { name = "x", desc = "", project_type = "ocr" }), "invalid_argument");
    }

    [Fact]
    public async Task Task_needs_a_bound_existing_dataset()
    {
        var pid = await CreateProjectAsync();
        Expect.Error(await Api.PostAsync("/project/task", new { pid, train = "{}" }), "dataset_not_found", "【任务创建】数据集ID''不存在");
        Expect.Error(await Api.PostAsync("/project/task", new { pid = "P0077", train = "{}" }), "project_not_found", "【任务创建】项目ID'P0077'不存在.");
    }

    [Fact]
    public async Task Task_create_single_list_and_project_tasks_object()
    {
        var (_, pid, tid) = await CreateTaskAsync(new { num_epochs = 3 });
        Assert.Equal("T0001", tid);

        var single = Expect.Ok(await Api.GetAsync("/project/task", new { tid }));
        Expect.Keys(single, "status", "task_status", "message", "type");
        Assert.Equal(1, single["task_status"]!.GetValue<int>());
        Assert.Equal("classification", single["type"]!.GetValue<string>());

        var resume = Expect.Ok(await Api.GetQueryAsync($"/project/task?tid={tid}&resume=1"));
        Assert.False(resume["resumable"]!.GetValue<bool>());
        Assert.Equal(-1, resume["max_saved_epochs"]!.GetValue<int>());

        var list = Expect.Ok(await Api.GetAsync("/project/task", new { pid }))["tasks"]!.AsArray();
        Expect.Keys(list.Single()!.AsObject(), "id", "name", "desc", "pid", "path", "create_time", "status", "type");
        Assert.Single(Expect.Ok(await Api.GetAsync("/project/task"))["tasks"]!.AsArray());
        Assert.Empty(Expect.Ok(await Api.GetAsync("/project/task", new { pid = "P0099" }))["tasks"]!.AsArray());

        var tasks = Expect.Ok(await Api.GetAsync("/project", new { id = pid }))["attr"]!["tasks"]!.AsObject();
        Assert.Equal(1, tasks[tid]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Resume_info_reports_saved_checkpoints()
    {
        var (_, pid, tid) = await CreateTaskAsync(new { num_epochs = 10 });
        var output = $"projects/{pid}/{tid}/output";
        foreach (var epoch in new[] { 2, 4 })
        {
            await WriteFileAsync($"{output}/epoch_{epoch}/.success", string.Empty);
        }

        await WriteFileAsync($"{output}/epoch_6/model.pdparams", "partial"); // incomplete: no .success
        if (!Azure)
        {
            Directory.CreateDirectory(Path.Combine(Server.Workspace, "projects", pid, tid, "output", "epoch_8")); // an empty folder, locally only
        }

        var resume = Expect.Ok(await Api.GetAsync("/project/task", new { tid, resume = true }));
        Assert.True(resume["resumable"]!.GetValue<bool>());
        Assert.Equal(4, resume["max_saved_epochs"]!.GetValue<int>());
    }

    [Fact]
    public async Task Parent_task_copies_parent_params()
    {
        var (_, pid, parent) = await CreateTaskAsync(new { num_epochs = 7, model = "ResNet18" });
        var child = Expect.Ok(await Api.PostAsync("/project/task", new { pid, parent_id = parent, train = "{\"num_epochs\": 1}" }))["tid"]!.GetValue<string>();
        var train = Expect.Ok(await Api.GetAsync("/project/task/params", new { tid = child }))["train"]!;
        Assert.Equal(7, train["num_epochs"]!.GetValue<int>());
        Assert.Equal("ResNet18", train["model"]!.GetValue<string>());
        Expect.Error(await Api.PostAsync("/project/task", new { pid, parent_id = "T0099", train = "{}" }), "task_not_found", "【任务创建】裁剪任务创建失败");
    }

    [Fact]
    public async Task Delete_task_and_project_removes_records_and_folders()
    {
        var (_, pid, tid) = await CreateTaskAsync();
        var taskFolder = $"projects/{pid}/{tid}";
        await WriteFileAsync($"{taskFolder}/out.log", "x");
        Assert.True(await ExistsAsync(taskFolder));
        Expect.Ok(await Api.DeleteAsync("/project/task", new { tid }));
        Assert.False(await ExistsAsync(taskFolder));
        Expect.Error(await Api.GetAsync("/project/task", new { tid }), "task_not_found", "任务ID'T0001'不存在");

        var tid2 = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = "{}" }))["tid"]!.GetValue<string>();
        Assert.Equal("T0002", tid2);
        Expect.Ok(await Api.DeleteAsync("/project", new { pid }));
        Expect.Error(await Api.GetAsync("/project/task", new { tid = tid2 }), "task_not_found");
        Assert.False(await ExistsAsync($"projects/{pid}"));
    }

    [Fact]
    public async Task Train_is_accepted_as_object_or_json_string()
    {
        var (_, pid, _) = await CreateTaskAsync();
        var asObject = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = new { num_epochs = 9 } }))["tid"]!.GetValue<string>();
        var asString = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = JsonSerializer.Serialize(new { num_epochs = 8 }) }))["tid"]!.GetValue<string>();
        Assert.Equal(9, (await Api.GetAsync("/project/task/params", new { tid = asObject }))["train"]!["num_epochs"]!.GetValue<int>());
        Assert.Equal(8, (await Api.GetAsync("/project/task/params", new { tid = asString }))["train"]!["num_epochs"]!.GetValue<int>());
    }
}

public sealed class ProjectAndTaskRoutesAzureTests : ProjectAndTaskRoutesTests
{
    protected override bool Azure => true;
}
