using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Params;
using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Api.Tests;

public sealed class RecommendedParamsTests
{
    [Fact]
    public void Cpu_batch_is_four_capped_at_half_the_training_set()
    {
        Assert.Equal(4, RecommendedParams.For("classification", null, 100, 4, [], [])["batch_size"]!.GetValue<int>());
        Assert.Equal(3, RecommendedParams.For("classification", null, 7, 4, [], [])["batch_size"]!.GetValue<int>());
        Assert.Equal(1, RecommendedParams.For("classification", null, 0, 4, [], [])["batch_size"]!.GetValue<int>());
    }

    [Fact]
    public void Gpu_batch_follows_the_memory_model_of_the_model_family()
    {
        // MobileNet: floor((8000 - 513) / 57) = 131 per GPU, capped at 125 per GPU, two GPUs.
        var p = RecommendedParams.For("classification", "MobileNetV2", 10_000, 10, [0, 1], [8000, 9000]);
        Assert.Equal(250, p["batch_size"]!.GetValue<int>());
        Assert.Equal("0, 1", p["cuda_visible_devices"]!.GetValue<string>());
        Assert.Equal(250 / 500.0 * 0.1, p["learning_rate"]!.GetValue<double>(), 12);
        // ResNet: floor((4000 - 739) / 211) = 15 on one GPU.
        var r = RecommendedParams.For("classification", "ResNet18", 10_000, 10, [0], [4000]);
        Assert.Equal(15, r["batch_size"]!.GetValue<int>());
        Assert.Equal(15 / 256.0 * 0.1, r["learning_rate"]!.GetValue<double>(), 12);
        Assert.Equal(string.Empty, RecommendedParams.For("classification", null, 10, 2, [], [])["cuda_visible_devices"]!.GetValue<string>());
    }

    [Fact]
    public void Yolo_warmup_longer_than_the_first_decay_shifts_the_schedule()
    {
        // 40 images, CPU batch 4 → 10 steps/epoch; warmup = min(max(30, 50·20), 400·20) = 1000 ≥ 216·10? no.
        var small = RecommendedParams.For("detection", "YOLOv3", 40, 20, [], []);
        Assert.Equal(1000, small["warmup_steps"]!.GetValue<int>());
        Assert.Equal(270, small["num_epochs"]!.GetValue<int>());
        // 8 images → batch 4, 2 steps/epoch; warmup 1000 ≥ 216·2 → shift every decay epoch by 500.
        var shifted = RecommendedParams.For("detection", "YOLOv3", 8, 20, [], []);
        Assert.Equal(770, shifted["num_epochs"]!.GetValue<int>());
        Assert.Equal("[716,743]", shifted["lr_decay_epochs"]!.ToJsonString());
    }

    [Fact]
    public void Unknown_model_type_lists_the_valid_names()
    {
        var failure = Assert.Throws<ApiException>(() => RecommendedParams.For("segmentation", "SegNet", 10, 2, [], []));
        Assert.Contains("UNet", failure.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.InvalidArgument, failure.Code);
    }

    [Fact]
    public void Segmentation_recommends_a_model_the_engine_builds_and_maps_the_1x_spellings()
    {
        // behavior.md §6.2 for segmentation on CPU: [512,512], 100 epochs, save 10, lr 0.01·batch/2, Polynomial, SGD, mean/std 0.5.
        var p = RecommendedParams.For("remote_segmentation", null, 40, 3, [], []);
        Assert.Equal(("DeepLabV3P", "ResNet50_vd"), (p["model"]!.GetValue<string>(), p["backbone"]!.GetValue<string>()));
        Assert.Equal("[512,512]", p["image_shape"]!.ToJsonString());
        Assert.Equal((100, 10, 4), (p["num_epochs"]!.GetValue<int>(), p["save_interval_epochs"]!.GetValue<int>(), p["batch_size"]!.GetValue<int>()));
        Assert.Equal(0.01 * 4 / 2, p["learning_rate"]!.GetValue<double>(), 12);
        Assert.Equal(("Polynomial", "SGD"), (p["lr_policy"]!.GetValue<string>(), p["optimizer"]!.GetValue<string>()));
        Assert.Equal("[0.5,0.5,0.5]", p["image_std"]!.ToJsonString());
        Assert.Equal(2, RecommendedParams.For("segmentation", "UNet", 5, 3, [], [])["batch_size"]!.GetValue<int>());

        Assert.Equal("UNet", RecommendedParams.For("segmentation", "U-Net", 10, 2, [], [])["model"]!.GetValue<string>());
        Assert.Equal("DeepLabV3P", RecommendedParams.For("segmentation", "DeepLabv3+", 10, 2, [], [])["model"]!.GetValue<string>());
        var stored = TrainingParams.Defaults("segmentation");
        TrainingParams.Merge(stored, new System.Text.Json.Nodes.JsonObject { ["model"] = "Unet" }, "segmentation");
        Assert.Equal("UNet", stored["model"]!.GetValue<string>());
        var xception = Assert.Throws<ApiException>(() => TrainingParams.Merge(stored, new System.Text.Json.Nodes.JsonObject { ["model"] = "DeepLabv3+", ["backbone"] = "Xception65" }, "segmentation"));
        Assert.Contains("ResNet50_vd, ResNet101_vd", xception.Message, StringComparison.Ordinal);
        Assert.Equal("UNet", stored["model"]!.GetValue<string>());
        Assert.Throws<ApiException>(() => TrainingParams.Merge(stored, new System.Text.Json.Nodes.JsonObject { ["optimizer"] = "RMSProp" }, "segmentation"));
        Assert.Throws<ApiException>(() => TrainingParams.Merge(stored, new System.Text.Json.Nodes.JsonObject { ["loss_type"] = new System.Text.Json.Nodes.JsonArray(1, 0) }, "segmentation"));
    }

    [Fact]
    public void The_api_catalog_follows_the_engine_registry()
    {
        foreach (var name in PaddleX.Cloud.Vision.Models.Segmentation.SegmentationModels.Names)
        {
            Assert.Contains(name, ModelCatalog.For("segmentation"));
            Assert.Equal(PaddleX.Cloud.Vision.Models.Segmentation.SegmentationModels.Backbones(name), ModelCatalog.Backbones("segmentation", name));
        }

        foreach (var alias in new[] { "DeepLabv3+", "U-Net", "Unet", "HRNet" })
        {
            Assert.Equal(PaddleX.Cloud.Vision.Models.Segmentation.SegmentationModels.Canonical(alias), ModelCatalog.Canonical("segmentation", alias));
        }
    }

    [Fact]
    public void Task_creation_accepts_exactly_what_the_recommendation_returns_for_every_model()
    {
        foreach (var type in ProjectTypes.All)
        {
            foreach (var model in ModelCatalog.For(type))
            {
                var recommended = RecommendedParams.For(type, model, 50, 3, [0], [16000]);
                var stored = TrainingParams.Defaults(type);
                TrainingParams.Merge(stored, recommended, type);
                foreach (var (key, value) in recommended)
                {
                    Assert.True(stored.ContainsKey(key), $"{type}/{model}: '{key}' is recommended but not a stored parameter");
                    var switchedOff = key.EndsWith("_prob", StringComparison.Ordinal) && recommended[key[..^5]]?.GetValue<bool>() == false;
                    Assert.Equal(switchedOff ? "0" : value?.ToJsonString(), stored[key]?.ToJsonString());
                }
            }
        }
    }
}
