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

    public static TheoryData<string, string, string, int[], int, int, int[], double> DetectionSchedules() => new()
    {
        // project type, model, default backbone, image shape, save interval, epochs, decay epochs, lr per image of batch (docs/api-behaviour.md §5).
        { "detection", "YOLOv3", "DarkNet53", [608, 608], 30, 270, [216, 243], 0.005 / 12 / 8 },
        { "detection", "PPYOLO", "ResNet50_vd_dcn", [608, 608], 30, 200, [85, 135], 0.005 / 12 / 8 },
        { "detection", "PPYOLOTiny", "MobileNetV3", [320, 320], 30, 550, [130, 540], 0.005 / 16 },
        { "detection", "PPYOLOv2", "ResNet50_vd_dcn", [608, 608], 30, 170, [105, 135, 150], 0.005 / 12 / 8 },
        { "detection", "FasterRCNN", "ResNet50", [800, 1333], 1, 12, [8, 11], 0.02 / 16 },
        { "instance_segmentation", "MaskRCNN", "ResNet50", [800, 1333], 1, 12, [8, 11], 0.02 / 16 },
    };

    [Theory]
    [MemberData(nameof(DetectionSchedules))]
    public void Detection_schedule_backbone_and_augmentation_per_model(string type, string model, string backbone, int[] shape, int save, int epochs, int[] decay, double lrPerImage)
    {
        // 10,000 images, 4 classes, one GPU with 16,000 MiB free: no warmup shift (warmup ≤ 800 steps < first decay).
        var p = RecommendedParams.For(type, model, 10_000, 4, [0], [16_000]);
        var (a, b, cap) = model switch
        {
            "YOLOv3" => (1555, 943, 8),
            "PPYOLOTiny" => (579, 1025, 16),
            "FasterRCNN" => (1755, 915, 2),
            "MaskRCNN" => (2702, 1188, 2),
            _ => (1691, 1025, 4),
        };
        var batch = Math.Min((16_000 - a) / b, cap);
        Assert.Equal(batch, p["batch_size"]!.GetValue<int>());
        Assert.Equal(lrPerImage * batch, p["learning_rate"]!.GetValue<double>(), 12);
        Assert.Equal(backbone, p["backbone"]!.GetValue<string>());
        Assert.Contains(backbone, ModelCatalog.Backbones(type, model));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(shape), p["image_shape"]!.ToJsonString());
        Assert.Equal((save, epochs), (p["save_interval_epochs"]!.GetValue<int>(), p["num_epochs"]!.GetValue<int>()));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(decay), p["lr_decay_epochs"]!.ToJsonString());
        Assert.Equal("[0.485,0.456,0.406]", p["image_mean"]!.ToJsonString());
        Assert.True(p["with_fpn"]!.GetValue<bool>());
        Assert.Equal("IMAGENET", p["pretrain_weights"]!.GetValue<string>());
        var steps = 10_000 / batch;
        var rcnn = model is "FasterRCNN" or "MaskRCNN";
        var warmup = rcnn ? Math.Min(Math.Max(steps, 50), 4000) : Math.Min(Math.Max(3 * steps, 50 * 4), 400 * 4);
        Assert.Equal(warmup, p["warmup_steps"]!.GetValue<int>());
        Assert.Equal(!rcnn, p["brightness"]!.GetValue<bool>());
        Assert.Equal(!rcnn, p["hue"]!.GetValue<bool>());
        Assert.Equal(!rcnn, p.ContainsKey("use_mixup"));
        Assert.Equal(!rcnn, p.ContainsKey("random_shape_sizes"));
    }

    [Fact]
    public void Detection_warmup_longer_than_the_first_decay_shifts_every_decay_epoch_for_each_family()
    {
        // CPU, 8 images, 10 classes: batch 4, 2 steps/epoch. YOLO family warmup = min(max(6, 500), 4000) = 500 ≥ 130·2 → shift 250.
        var tiny = RecommendedParams.For("detection", "PPYOLOTiny", 8, 10, [], []);
        Assert.Equal(500, tiny["warmup_steps"]!.GetValue<int>());
        Assert.Equal("[380,790]", tiny["lr_decay_epochs"]!.ToJsonString());
        Assert.Equal(800, tiny["num_epochs"]!.GetValue<int>());
        // PPYOLOv2 on two GPUs: batch capped at half the images (4); two GPUs halve the warmup cap (400·10/2 = 2000).
        var v2 = RecommendedParams.For("detection", "PPYOLOv2", 8, 10, [0, 1], [16_000, 16_000]);
        Assert.Equal((4, 500), (v2["batch_size"]!.GetValue<int>(), v2["warmup_steps"]!.GetValue<int>()));
        Assert.Equal("[355,385,400]", v2["lr_decay_epochs"]!.ToJsonString());
        // Three classes: warmup min(max(6, 150), 1200) = 150 < 130·2, no shift.
        Assert.Equal("[130,540]", RecommendedParams.For("detection", "PPYOLOTiny", 8, 3, [], [])["lr_decay_epochs"]!.ToJsonString());
        // FasterRCNN: warmup = min(max(2, 50), 4000) = 50 ≥ 8·2 → shift 25.
        var rcnn = RecommendedParams.For("detection", "FasterRCNN", 8, 3, [], []);
        Assert.Equal(50, rcnn["warmup_steps"]!.GetValue<int>());
        Assert.Equal(("[33,36]", 37), (rcnn["lr_decay_epochs"]!.ToJsonString(), rcnn["num_epochs"]!.GetValue<int>()));
        // No images yet (not split): the original divides by zero; here batch 1 and one step per epoch stand in.
        var empty = RecommendedParams.For("detection", "PPYOLO", 0, 3, [], []);
        Assert.Equal((1, 150, 350), (empty["batch_size"]!.GetValue<int>(), empty["warmup_steps"]!.GetValue<int>(), empty["num_epochs"]!.GetValue<int>()));
        Assert.Equal("[235,285]", empty["lr_decay_epochs"]!.ToJsonString());
    }

    [Fact]
    public void Every_detection_model_recommends_a_backbone_it_builds_and_a_model_switch_moves_an_unbuildable_one()
    {
        foreach (var type in new[] { "detection", "instance_segmentation" })
        {
            foreach (var model in ModelCatalog.For(type))
            {
                var backbone = RecommendedParams.For(type, model, 50, 3, [], [])["backbone"]!.GetValue<string>();
                Assert.Equal(ModelCatalog.Backbones(type, model)[0], backbone);
            }
        }

        // The original recommended ResNet50_vd_ssld for PP-YOLO, which its constructor rejects.
        Assert.DoesNotContain("ResNet50_vd_ssld", ModelCatalog.Backbones("detection", "PPYOLO"));
        var stored = TrainingParams.Defaults("detection");
        Assert.Contains(stored["backbone"]!.GetValue<string>(), ModelCatalog.Backbones("detection", stored["model"]!.GetValue<string>()));
        TrainingParams.Merge(stored, new System.Text.Json.Nodes.JsonObject { ["model"] = "PPYOLOv2" }, "detection");
        Assert.Equal("ResNet50_vd_dcn", stored["backbone"]!.GetValue<string>());
        TrainingParams.Merge(stored, new System.Text.Json.Nodes.JsonObject { ["model"] = "PPYOLO", ["backbone"] = "MobileNetV3_small" }, "detection");
        Assert.Equal(("PPYOLO", "MobileNetV3_small"), (stored["model"]!.GetValue<string>(), stored["backbone"]!.GetValue<string>()));
        var rejected = Assert.Throws<ApiException>(() => TrainingParams.Merge(stored, new System.Text.Json.Nodes.JsonObject { ["backbone"] = "ResNet50_vd_ssld" }, "detection"));
        Assert.Contains("ResNet50_vd_dcn, ResNet18_vd, MobileNetV3_large, MobileNetV3_small", rejected.Message, StringComparison.Ordinal);
        Assert.Equal("MobileNetV3_small", stored["backbone"]!.GetValue<string>());
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
        // The original's rule for segmentation on CPU (docs/api-behaviour.md §5): [512,512], 100 epochs, save 10, lr 0.01·batch/2, Polynomial, SGD, mean/std 0.5.
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
    public void Mask_rcnn_batch_follows_its_memory_model_and_an_instance_segmentation_task_takes_only_its_backbones()
    {
        // MaskRCNN: floor((4000 - 2702) / 1188) = 1 per GPU; two GPUs → 2; 12 epochs, warmup = min(max(s, 50), 4000 / 2).
        var p = RecommendedParams.For("instance_segmentation", null, 400, 2, [0, 1], [4000, 5000]);
        Assert.Equal(("MaskRCNN", 2), (p["model"]!.GetValue<string>(), p["batch_size"]!.GetValue<int>()));
        Assert.Equal((200, 12), (p["warmup_steps"]!.GetValue<int>(), p["num_epochs"]!.GetValue<int>()));
        Assert.Equal(0.02 * 2 / 16, p["learning_rate"]!.GetValue<double>(), 12);
        Assert.Equal(1, RecommendedParams.For("instance_segmentation", null, 400, 2, [0], [2000])["batch_size"]!.GetValue<int>()); // below the model's need: still 1

        var stored = TrainingParams.Defaults("instance_segmentation");
        Assert.Equal(("MaskRCNN", "ResNet50"), (stored["model"]!.GetValue<string>(), stored["backbone"]!.GetValue<string>()));
        TrainingParams.Merge(stored, new System.Text.Json.Nodes.JsonObject { ["backbone"] = "ResNet50_vd_ssld" }, "instance_segmentation");
        Assert.Equal("ResNet50_vd_ssld", stored["backbone"]!.GetValue<string>());
        var model = Assert.Throws<ApiException>(() => TrainingParams.Merge(stored, new System.Text.Json.Nodes.JsonObject { ["model"] = "FasterRCNN" }, "instance_segmentation"));
        Assert.Contains("模型FasterRCNN不支持，可选模型为: MaskRCNN", model.Message, StringComparison.Ordinal);
        var backbone = Assert.Throws<ApiException>(() => TrainingParams.Merge(stored, new System.Text.Json.Nodes.JsonObject { ["backbone"] = "HRNet_W18" }, "instance_segmentation"));
        Assert.Contains("ResNet50, ResNet50_vd, ResNet50_vd_ssld, ResNet101, ResNet101_vd", backbone.Message, StringComparison.Ordinal);
        Assert.Throws<ApiException>(() => RecommendedParams.For("instance_segmentation", "YOLOv3", 10, 2, [], []));
    }

    [Theory]
    [InlineData("detection")]
    [InlineData("instance_segmentation")]
    public void The_api_detection_backbones_are_the_engine_registry_s(string type)
    {
        foreach (var model in ModelCatalog.For(type).Where(PaddleX.Cloud.Vision.Detection.Models.DetectionModels.IsKnown))
        {
            var api = ModelCatalog.Backbones(type, model);
            foreach (var backbone in api)
            {
                Assert.NotNull(PaddleX.Cloud.Vision.Detection.Models.DetectionModels.ResolveBackbone(model, backbone));
            }

            foreach (var backbone in PaddleX.Cloud.Vision.Detection.Models.DetectionModels.Backbones(model))
            {
                Assert.Contains(backbone, api);
            }
        }

        Assert.True(PaddleX.Cloud.Vision.Detection.Models.DetectionModels.IsKnown(ModelCatalog.For(type)[^1]));
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
