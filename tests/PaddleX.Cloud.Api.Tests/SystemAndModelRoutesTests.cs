using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

public class SystemAndModelRoutesTests : ServerTestBase
{
    [Fact]
    public async Task Machine_info_reports_this_machine()
    {
        var info = Expect.Ok(await Api.GetQueryAsync("/system?type=machine_info"))["info"]!.AsObject();
        if (Azure)
        {
            // The cloud reports its live workers: here the server's own in-process worker, once its first heartbeat is in.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (info["workers"]!.AsArray().Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                info = Expect.Ok(await Api.GetQueryAsync("/system?type=machine_info"))["info"]!.AsObject();
            }

            Assert.Equal(Environment.ProcessId, Assert.Single(info["workers"]!.AsArray())!["pid"]!.GetValue<int>());
        }

        Assert.Equal(Environment.ProcessorCount, info["cpu_num"]!.GetValue<int>());
        Assert.Equal(OperatingSystem.IsLinux() ? "Linux" : info["sysstr"]!.GetValue<string>(), info["sysstr"]!.GetValue<string>());
        Assert.True(info.ContainsKey("message"));
        var gpus = info["gpu_num"]!.GetValue<int>();
        var memory = Expect.Ok(await Api.GetAsync("/system", new { type = "gpu_memory_size" }))["gpu_mem_infos"]!.AsArray();
        Assert.Equal(gpus, memory.Count);
        Expect.Error(await Api.GetAsync("/system", new { type = "disk" }), "invalid_argument");
        Expect.Error(await Api.GetAsync("/system"), "missing_argument");
    }

    [Fact]
    public async Task Delete_system_answers_and_the_server_keeps_running()
    {
        Expect.Ok(await Api.DeleteAsync("/system"));
        Expect.Ok(await Api.GetQueryAsync("/workspace"));
    }

    [Fact]
    public async Task Model_lists_start_empty_and_unknown_ids_are_refused()
    {
        Assert.Empty(Expect.Ok(await Api.GetAsync("/model", new { type = "pretrained" }))["pretrained_models"]!.AsArray());
        Assert.Empty(Expect.Ok(await Api.GetQueryAsync("/model?type=exported"))["exported_models"]!.AsArray());
        Expect.Error(await Api.DeleteAsync("/model", new { type = "pretrained", pmid = "PM0001" }), "model_not_found", "预训练模型ID'PM0001'不存在.");
        Expect.Error(await Api.DeleteAsync("/model", new { type = "exported", emid = "EM0001" }), "model_not_found", "已发布模型模型ID'EM0001'不存在.");
        Expect.Error(await Api.GetAsync("/model", new { type = "other" }), "invalid_argument");
    }
}

public sealed class SystemAndModelRoutesAzureTests : SystemAndModelRoutesTests
{
    protected override bool Azure => true;
}
