using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Http;

namespace PaddleX.Cloud.Api.Params;

/// <summary>Recommended training parameters for a project (docs/api-behaviour.md §5): batch size from the
/// device memory and the dataset size, learning rate and schedule by model family.</summary>
public static class RecommendedParams
{
    public const int CpuBatchSize = 4;

    // Per-model memory model: floor((free MiB − a) / b) images per GPU, capped at c per GPU.
    private static readonly (string Prefix, int A, int B, int Cap)[] Memory =
    [
        ("MobileNet", 513, 57, 125), ("DenseNet", 739, 211, 16), ("ResNet", 739, 211, 16), ("Xception", 739, 211, 16),
        ("DarkNet", 739, 211, 16), ("ShuffleNet", 739, 211, 16), ("YOLOv3", 1555, 943, 8), ("PPYOLOTiny", 579, 1025, 16),
        ("PPYOLO", 1691, 1025, 4), ("FasterRCNN", 1755, 915, 2), ("MaskRCNN", 2702, 1188, 2), ("DeepLab", 1469, 1605, 4),
        ("BiSeNetV2", 591, 1605, 4), ("UNet", 1275, 1256, 4), ("HRNet_W18", 800, 682, 4), ("FastSCNN", 636, 144, 4),
    ];

    public static string DefaultModel(string projectType) => projectType switch
    {
        "classification" => "MobileNetV2",
        "detection" => "YOLOv3",
        "instance_segmentation" => "MaskRCNN",
        _ => "DeepLabV3P",
    };

    /// <param name="gpuFreeMemory">Free MiB of each GPU to use; empty for CPU training.</param>
    /// <param name="gpuIds">The ids of those GPUs, for <c>cuda_visible_devices</c>.</param>
    public static JsonObject For(string projectType, string? modelType, int trainNum, int classNum, IReadOnlyList<int> gpuIds, IReadOnlyList<int> gpuFreeMemory)
    {
        var model = ModelCatalog.Canonical(projectType, modelType ?? DefaultModel(projectType));
        var valid = ModelCatalog.For(projectType);
        if (!valid.Contains(model, StringComparer.Ordinal))
        {
            throw ApiException.Invalid($"模型{model}不支持，可选模型为: {string.Join(", ", valid)} (unknown model_type '{model}'; valid: {string.Join(", ", valid)})");
        }

        var gpuNum = gpuIds.Count;
        var batch = BatchSize(model, gpuNum, gpuFreeMemory.Count > 0 ? gpuFreeMemory.Min() : 0);
        batch = Math.Max(1, Math.Min(batch, Math.Max(1, trainNum / 2)));
        var stepsPerEpoch = Math.Max(1, trainNum / batch);

        var p = new JsonObject
        {
            ["model"] = model,
            ["cpu_num"] = 1,
            ["cuda_visible_devices"] = string.Join(", ", gpuIds),
            ["batch_size"] = batch,
            ["resume_checkpoint"] = null,
            ["sensitivities_path"] = null,
        };
        Augmentations.Add(p, range: 0.5, saturationAndHue: false);

        switch (projectType)
        {
            case "classification":
                var lr = (model.StartsWith("MobileNet", StringComparison.Ordinal) ? batch / 500.0 : batch / 256.0) * 0.1;
                Schedule(p, [224, 224], 5, 10, [4, 6, 8], lr);
                p["image_mean"] = new JsonArray(0.485, 0.456, 0.406);
                p["image_std"] = new JsonArray(0.229, 0.224, 0.225);
                p["brightness_range"] = 0.9;
                p["contrast_range"] = 0.9;
                p["saturation_range"] = 0.9;
                p["pretrain_weights"] = "IMAGENET";
                p["lr_policy"] = "Piecewise";
                p["vertical_flip"] = true;
                p["vertical_flip_prob"] = 0.5;
                p["rotate"] = true;
                p["rotate_prob"] = 0.5;
                p["rotate_range"] = 30;
                break;
            case "detection" or "instance_segmentation":
                Detection(p, projectType, model, batch, stepsPerEpoch, classNum, gpuNum);
                break;
            default:
                Schedule(p, [512, 512], 10, 100, [10, 20], 0.01 * batch / 2);
                p["image_mean"] = new JsonArray(0.5, 0.5, 0.5);
                p["image_std"] = new JsonArray(0.5, 0.5, 0.5);
                p["brightness"] = false;
                p["contrast"] = false;
                if (ModelCatalog.Backbones(projectType, model) is [var backbone, ..])
                {
                    p["backbone"] = backbone; // not 1.x's Xception65, which PaddleX 2 cannot build
                }

                p["pretrain_weights"] = model switch
                {
                    "UNet" => "COCO",
                    "HRNet_W18" or "FastSCNN" => "CITYSCAPES",
                    _ => "IMAGENET",
                };
                p["loss_type"] = new JsonArray(false, false);
                p["lr_policy"] = "Polynomial";
                p["optimizer"] = "SGD";
                p["blur"] = false;
                p["blur_prob"] = 0.1;
                p["rotate"] = false;
                p["scale_aspect"] = false;
                p["min_ratio"] = 0.5;
                p["aspect_ratio"] = 0.33;
                p["vertical_flip"] = false;
                p["vertical_flip_prob"] = 0.5;
                break;
        }

        return p;
    }

    private static int BatchSize(string model, int gpuNum, int freeMemory)
    {
        if (gpuNum == 0)
        {
            return CpuBatchSize;
        }

        var (_, a, b, cap) = Memory.FirstOrDefault(m => model.StartsWith(m.Prefix, StringComparison.Ordinal));
        if (b == 0)
        {
            return CpuBatchSize;
        }

        return Math.Max(1, Math.Min(Math.Max(0, (freeMemory - a) / b) * gpuNum, cap * gpuNum));
    }

    private static void Schedule(JsonObject p, int[] shape, int saveInterval, int epochs, int[] decay, double lr)
    {
        p["image_shape"] = new JsonArray(shape.Select(v => (JsonNode?)v).ToArray());
        p["save_interval_epochs"] = saveInterval;
        p["num_epochs"] = epochs;
        p["lr_decay_epochs"] = new JsonArray(decay.Select(v => (JsonNode?)v).ToArray());
        p["learning_rate"] = lr;
    }

    /// <param name="s">Steps per epoch.</param>
    private static void Detection(JsonObject p, string projectType, string model, int batch, int s, int classNum, int gpuNum)
    {
        var gpus = Math.Max(gpuNum, 1);
        int warmup;
        switch (model)
        {
            case "FasterRCNN" or "MaskRCNN":
                Schedule(p, [800, 1333], 1, 12, [8, 11], 0.02 * batch / 16);
                p["brightness"] = false;
                p["contrast"] = false;
                warmup = Math.Min(Math.Max(s, 50), 4000 / gpus);
                break;
            default:
                var yoloLr = 0.005 / 12 * batch / 8;
                switch (model)
                {
                    case "PPYOLOTiny":
                        Schedule(p, [320, 320], 30, 550, [130, 540], 0.005 * batch / 16);
                        break;
                    case "PPYOLOv2":
                        Schedule(p, [608, 608], 30, 170, [105, 135, 150], yoloLr);
                        break;
                    case "PPYOLO":
                        Schedule(p, [608, 608], 30, 200, [85, 135], yoloLr);
                        break;
                    default:
                        Schedule(p, [608, 608], 30, 270, [216, 243], yoloLr);
                        break;
                }

                p["saturation"] = true;
                p["hue"] = true;
                p["use_mixup"] = true;
                p["mixup_alpha"] = 1.5;
                p["mixup_beta"] = 1.5;
                p["expand_prob"] = 0.5;
                p["expand_image"] = true;
                p["crop_image"] = true;
                p["random_shape"] = true;
                p["random_shape_sizes"] = new JsonArray(Enumerable.Range(0, 10).Select(i => (JsonNode?)(320 + (32 * i))).ToArray());
                warmup = Math.Min(Math.Max(3 * s, 50 * classNum), 400 * classNum / gpus);
                break;
        }

        p["backbone"] = ModelCatalog.Backbones(projectType, model)[0];
        p["image_mean"] = new JsonArray(0.485, 0.456, 0.406);
        p["image_std"] = new JsonArray(0.229, 0.224, 0.225);
        p["with_fpn"] = true;
        p["pretrain_weights"] = "IMAGENET";
        var decay = p["lr_decay_epochs"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        if (warmup >= decay[0] * s)
        {
            var shift = warmup / s;
            p["lr_decay_epochs"] = new JsonArray(decay.Select(d => (JsonNode?)(d + shift)).ToArray());
            p["num_epochs"] = p["num_epochs"]!.GetValue<int>() + shift;
        }

        p["warmup_steps"] = warmup;
    }
}
