using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

public class ParamsRoutesTests : ServerTestBase
{
    [Fact]
    public async Task Stored_params_have_the_base_and_classification_keys()
    {
        var (_, _, tid) = await CreateTaskAsync();
        var train = Expect.Ok(await Api.GetQueryAsync($"/project/task/params?tid={tid}"))["train"]!.AsObject();
        foreach (var key in new[] { "cuda_visible_devices", "batch_size", "save_interval_epochs", "pretrain_weights", "model", "num_epochs", "learning_rate", "lr_decay_epochs", "train_num", "resume_checkpoint", "sensitivities_path", "pruned_flops", "image_shape", "image_mean", "image_std", "horizontal_flip_prob", "brightness_range", "brightness_prob", "contrast_range", "contrast_prob", "saturation_range", "saturation_prob", "hue_range", "hue_prob", "horizontal_flip", "brightness", "contrast", "saturation", "hue", "lr_policy", "vertical_flip_prob", "vertical_flip" })
        {
            Assert.True(train.ContainsKey(key), $"missing {key}");
        }

        Assert.Equal("MobileNetV2", train["model"]!.GetValue<string>());
        Assert.Equal("Piecewise", train["lr_policy"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_merges_in_order_with_switch_rules_and_drops_unknown_keys()
    {
        var (_, _, tid) = await CreateTaskAsync();
        // Switch off first: its probability is forced to 0 and a later probability is ignored.
        const string train = "{\"brightness\": false, \"brightness_prob\": 0.9, \"contrast_prob\": 0.7, \"use_gpu\": true, \"num_epochs\": 12, \"image_shape\": [64, 64]}";
        Expect.Ok(await Api.PostAsync("/project/task/params", new { tid, train }));
        var stored = Expect.Ok(await Api.GetAsync("/project/task/params", new { tid }))["train"]!.AsObject();
        Assert.False(stored["brightness"]!.GetValue<bool>());
        Assert.Equal(0.0, stored["brightness_prob"]!.GetValue<double>());
        Assert.Equal(0.7, stored["contrast_prob"]!.GetValue<double>());
        Assert.False(stored.ContainsKey("use_gpu"));
        Assert.Equal(12, stored["num_epochs"]!.GetValue<int>());
        Assert.Equal("[64,64]", stored["image_shape"]!.ToJsonString());
    }

    [Fact]
    public async Task A_task_is_created_with_null_pretrain_weights_and_numbers_as_text()
    {
        // PaddleX clients ask for training from scratch with "pretrain_weights": None.
        const string train = "{\"pretrain_weights\": null, \"num_epochs\": \"3\", \"image_shape\": \"[64, 64]\"}";
        var did = await CreateDatasetAsync();
        var pid = await CreateProjectAsync();
        Expect.Ok(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { did } }));
        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train }))["tid"]!.GetValue<string>();
        var stored = Expect.Ok(await Api.GetQueryAsync($"/project/task/params?tid={tid}"))["train"]!.AsObject();
        Assert.True(stored.ContainsKey("pretrain_weights"));
        Assert.Null(stored["pretrain_weights"]);
        Assert.Equal(3, stored["num_epochs"]!.GetValue<int>());
        Assert.Equal("[64,64]", stored["image_shape"]!.ToJsonString());
    }

    [Theory]
    [InlineData("{\"model\": \"AlexNet\"}", "MobileNetV2, MobileNetV3_small")]
    [InlineData("{\"num_epochs\": \"ten\"}", "num_epochs")]
    [InlineData("{\"num_epochs\": 0}", "num_epochs")]
    [InlineData("{\"batch_size\": 2.5}", "batch_size")]
    [InlineData("{\"image_shape\": [16, 16]}", "image_shape")]
    [InlineData("{\"hue_prob\": 1.5}", "hue_prob")]
    [InlineData("{\"lr_policy\": \"Exotic\"}", "lr_policy")]
    public async Task Bad_params_are_refused_with_a_clear_message_and_change_nothing(string train, string mentioned)
    {
        var (_, _, tid) = await CreateTaskAsync();
        var before = await WorkspaceStateAsync();
        Expect.Error(await Api.PostAsync("/project/task/params", new { tid, train }), "invalid_argument", mentioned);
        Assert.Equal(before, await WorkspaceStateAsync());
    }

    [Fact]
    public async Task Post_needs_an_existing_task_and_get_needs_an_id()
    {
        Expect.Error(await Api.PostAsync("/project/task/params", new { tid = "T0404", train = "{}" }), "task_not_found");
        Expect.Error(await Api.GetAsync("/project/task/params"), "missing_argument");
    }
}

public sealed class ParamsRoutesAzureTests : ParamsRoutesTests
{
    protected override bool Azure => true;
}
