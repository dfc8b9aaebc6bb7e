using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

public class ConcurrencyTests : ServerTestBase
{
    [Fact]
    public async Task Two_hundred_parallel_creates_give_distinct_ids_that_survive_a_restart()
    {
        var replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Api.PostAsync("/dataset", new { name = $"数据集{i}", desc = "", dataset_type = "classification" })));
        var ids = replies.Select(r => Expect.Ok(r)["did"]!.GetValue<string>()).ToList();
        Assert.Equal(200, ids.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 200).Select(n => $"D{n:D4}"), ids.Order(StringComparer.Ordinal));

        await Server.RestartAsync();
        var listed = Expect.Ok(await Api.GetAsync("/dataset"))["datasets"]!.AsArray().Select(d => d!["id"]!.GetValue<string>());
        Assert.Equal(ids.Order(StringComparer.Ordinal), listed);
        Assert.Equal("D0201", await CreateDatasetAsync());
    }
}

public sealed class ConcurrencyAzureTests : ConcurrencyTests
{
    protected override bool Azure => true;
}
