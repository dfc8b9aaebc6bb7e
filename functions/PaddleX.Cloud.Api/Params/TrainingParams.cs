using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Http;

namespace PaddleX.Cloud.Api.Params;

/// <summary>The stored training parameters of a task (docs/api-behaviour.md §5) and the rules for merging a
/// client's changes into them.</summary>
public static class TrainingParams
{
    /// <summary>Switch → the probability it governs. Turning a switch off forces its probability to
    /// 0; a probability is only taken while its switch is on (the original's setter semantics,
    /// without its hue and vertical-flip bugs).</summary>
    private static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["horizontal_flip"] = "horizontal_flip_prob",
        ["vertical_flip"] = "vertical_flip_prob",
        ["brightness"] = "brightness_prob",
        ["contrast"] = "contrast_prob",
        ["saturation"] = "saturation_prob",
        ["hue"] = "hue_prob",
        ["blur"] = "blur_prob",
        ["rotate"] = "rotate_prob",
    };

    /// <summary>Keys that may be null (PaddleX's "not set"), with the kind they take otherwise. A null
    /// <c>pretrain_weights</c> is how PaddleX clients ask to train from scratch (so are "" and "none").</summary>
    private static readonly Dictionary<string, JsonValueKind> Nullable = new(StringComparer.Ordinal)
    {
        ["pretrain_weights"] = JsonValueKind.String,
        ["resume_checkpoint"] = JsonValueKind.String,
        ["sensitivities_path"] = JsonValueKind.String,
        ["pruned_flops"] = JsonValueKind.Number,
        ["eval_metric_loss"] = JsonValueKind.Number,
    };

    private static readonly HashSet<string> Integers = new(StringComparer.Ordinal)
    {
        "batch_size", "save_interval_epochs", "num_epochs", "train_num", "cpu_num", "hue_range", "rotate_range", "warmup_steps", "seed",
    };

    public static JsonObject Defaults(string projectType)
    {
        var p = new JsonObject
        {
            ["cuda_visible_devices"] = string.Empty,
            ["batch_size"] = 2,
            ["save_interval_epochs"] = 1,
            ["pretrain_weights"] = "IMAGENET",
            ["model"] = "MobileNetV2",
            ["num_epochs"] = 4,
            ["learning_rate"] = 0.000125,
            ["lr_decay_epochs"] = new JsonArray(2, 3),
            ["train_num"] = 0,
            ["resume_checkpoint"] = null,
            ["sensitivities_path"] = null,
            ["pruned_flops"] = null,
            ["eval_metric_loss"] = null,
            ["cpu_num"] = 1,
            ["image_shape"] = new JsonArray(224, 224),
            ["image_mean"] = new JsonArray(0.485, 0.456, 0.406),
            ["image_std"] = new JsonArray(0.229, 0.224, 0.225),
            ["seed"] = 0,
        };
        Augmentations.Add(p, range: 0.9, saturationAndHue: true);
        switch (projectType)
        {
            case "classification":
                p["lr_policy"] = "Piecewise";
                p["vertical_flip"] = true;
                p["vertical_flip_prob"] = 0.0;
                p["rotate"] = false;
                p["rotate_prob"] = 0.0;
                p["rotate_range"] = 30;
                p["warmup_steps"] = 0;
                p["warmup_start_lr"] = 0.0;
                break;
            case "detection" or "instance_segmentation":
                p["warmup_steps"] = 10;
                p["warmup_start_lr"] = 0.0;
                p["use_mixup"] = true;
                p["mixup_alpha"] = 1.5;
                p["mixup_beta"] = 1.5;
                p["expand_prob"] = 0.5;
                p["expand_image"] = true;
                p["crop_image"] = true;
                p["backbone"] = "ResNet50"; // the original's ResNet18 is no backbone of FasterRCNN or MaskRCNN
                p["pretrain_weights"] = "COCO";
                p["model"] = projectType == "detection" ? "FasterRCNN" : "MaskRCNN";
                p["with_fpn"] = true;
                p["random_shape"] = true;
                p["random_shape_sizes"] = new JsonArray(Enumerable.Range(0, 10).Select(i => (JsonNode?)(320 + (32 * i))).ToArray());
                p["lr_policy"] = "Piecewise";
                break;
            default: // segmentation, remote_segmentation
                p["loss_type"] = new JsonArray(true, true);
                p["lr_policy"] = "Piecewise";
                p["optimizer"] = "Adam";
                p["backbone"] = "ResNet50_vd";
                p["blur"] = true;
                p["blur_prob"] = 0.0;
                p["rotate"] = false;
                p["scale_aspect"] = false;
                p["min_ratio"] = 0.5;
                p["aspect_ratio"] = 0.33;
                p["vertical_flip"] = true;
                p["vertical_flip_prob"] = 0.0;
                p["model"] = "UNet";
                break;
        }

        return p;
    }

    public static JsonObject? Parse(string json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Merges <paramref name="incoming"/> into <paramref name="stored"/> key by key in the
    /// client's order. Unknown keys (e.g. the web client's <c>use_gpu</c>) are dropped as the original
    /// does; a known key with a value of the wrong kind or out of range is refused before anything changes.</summary>
    public static void Merge(JsonObject stored, JsonObject incoming, string projectType)
    {
        var result = (JsonObject)stored.DeepClone();
        foreach (var (key, value) in incoming)
        {
            if (!result.TryGetPropertyValue(key, out var current))
            {
                continue;
            }

            var accepted = Coerce(key, value, current);
            if (key == "model" && accepted is not null)
            {
                accepted = ModelCatalog.Canonical(projectType, accepted.GetValue<string>());
            }

            Validate(key, accepted, projectType);
            if (Switches.TryGetValue(key, out var prob))
            {
                result[key] = accepted;
                if (accepted?.GetValue<bool>() == false && result.ContainsKey(prob))
                {
                    result[prob] = 0.0;
                }
            }
            else if (Switches.FirstOrDefault(s => s.Value == key) is { Key: not null } pair)
            {
                if (result[pair.Key]?.GetValue<bool>() == true)
                {
                    result[key] = accepted;
                }
            }
            else
            {
                result[key] = accepted;
            }
        }

        CheckBackbone(result, projectType, backboneGiven: incoming.ContainsKey("backbone"));
        stored.Clear();
        foreach (var (key, value) in result.ToList())
        {
            result.Remove(key);
            stored[key] = value;
        }
    }

    /// <summary>The value as the kind the key holds, accepting what PaddleX clients send: null where
    /// the original has a "not set", numbers as text ("4", "0.01"), an int where a float is expected,
    /// a whole float (4.0) where an int is expected, lists as JSON text ("[224, 224]") and switches as
    /// true/false text or 0/1. Anything else is refused.</summary>
    private static JsonNode? Coerce(string key, JsonNode? value, JsonNode? current)
    {
        var nullable = Nullable.TryGetValue(key, out var declared);
        if (value is null)
        {
            return nullable ? null : throw Wrong(key);
        }

        var expected = nullable ? declared : current?.GetValueKind() ?? JsonValueKind.Null;
        var accepted = expected switch
        {
            JsonValueKind.True or JsonValueKind.False => AsBoolean(value),
            JsonValueKind.Number => AsNumber(key, value),
            JsonValueKind.String => value.GetValueKind() == JsonValueKind.String ? value.DeepClone() : null,
            JsonValueKind.Array => WholeNumbersAsInts(key, AsArray(value)),
            _ => null,
        };
        return accepted ?? throw Wrong(key);
    }

    private static JsonNode? AsBoolean(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String when bool.TryParse(value.GetValue<string>().Trim(), out var flag) => flag,
        JsonValueKind.Number when value.AsDouble() is 0 or 1 => value.AsDouble() == 1,
        _ => null,
    };

    private static JsonNode? AsNumber(string key, JsonNode value)
    {
        var number = value.GetValueKind() switch
        {
            JsonValueKind.Number => value.AsDouble(),
            JsonValueKind.String when double.TryParse(value.GetValue<string>().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => double.NaN,
        };
        if (!double.IsFinite(number))
        {
            return null;
        }

        if (!Integers.Contains(key))
        {
            return value.GetValueKind() == JsonValueKind.Number ? value.DeepClone() : JsonValue.Create(number);
        }

        return number == Math.Floor(number) && Math.Abs(number) <= int.MaxValue
            ? JsonValue.Create((int)number)
            : throw ApiException.Invalid($"训练参数'{key}'应为整数 (training parameter '{key}' must be an integer)");
    }

    // The engine reads these lists as ints, so 224.0 is stored as 224; other elements are left for Validate.
    private static JsonArray? WholeNumbersAsInts(string key, JsonArray? list) =>
        list is null || key is not ("image_shape" or "lr_decay_epochs" or "random_shape_sizes")
            ? list
            : new JsonArray(list.Select(v => IsWhole(v) ? JsonValue.Create(v!.AsInt()) : v?.DeepClone()).ToArray());

    private static JsonArray? AsArray(JsonNode value)
    {
        if (value.GetValueKind() == JsonValueKind.Array)
        {
            return value.DeepClone().AsArray();
        }

        if (value.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(value.GetValue<string>()) as JsonArray;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Validate(string key, JsonNode? value, string projectType)
    {
        switch (key)
        {
            case "model":
                var model = value!.GetValue<string>();
                var names = ModelCatalog.For(projectType);
                if (!names.Contains(model, StringComparer.Ordinal))
                {
                    throw ApiException.Invalid($"模型{model}不支持，可选模型为: {string.Join(", ", names)} (unknown model '{model}'; valid: {string.Join(", ", names)})");
                }

                break;
            case "num_epochs" or "batch_size" or "save_interval_epochs" or "cpu_num" when value!.AsDouble() < 1:
                throw ApiException.Invalid($"训练参数'{key}'应不小于1 (training parameter '{key}' must be at least 1)");
            case "learning_rate" when value!.AsDouble() <= 0:
                throw ApiException.Invalid("训练参数'learning_rate'应大于0 (learning_rate must be positive)");
            case "image_shape":
                var shape = value!.AsArray();
                if (shape.Count != 2 || shape.Any(v => !IsWhole(v) || v!.AsDouble() is < 32 or > 4096))
                {
                    throw ApiException.Invalid("训练参数'image_shape'应为两个不小于32的整数 (image_shape must be [width, height], each at least 32)");
                }

                break;
            case "image_mean" or "image_std":
                if (value!.AsArray().Any(v => v?.GetValueKind() != JsonValueKind.Number))
                {
                    throw ApiException.Invalid($"训练参数'{key}'应为数字列表 (training parameter '{key}' must be a list of numbers)");
                }

                break;
            case "lr_decay_epochs" or "random_shape_sizes":
                if (value!.AsArray().Any(v => !IsWhole(v) || v!.AsDouble() < 0))
                {
                    throw ApiException.Invalid($"训练参数'{key}'应为整数列表 (training parameter '{key}' must be a list of whole numbers)");
                }

                break;
            case "lr_policy":
                var policy = value!.GetValue<string>();
                if (policy is not ("Piecewise" or "Cosine" or "Linear" or "Polynomial"))
                {
                    throw ApiException.Invalid($"学习率策略{policy}不支持 (lr_policy must be Piecewise, Cosine, Linear or Polynomial)");
                }

                break;
            case "optimizer":
                var optimizer = value!.GetValue<string>();
                if (optimizer is not ("SGD" or "Adam"))
                {
                    throw ApiException.Invalid($"优化器{optimizer}不支持 (optimizer must be SGD or Adam)");
                }

                break;
            case "loss_type":
                if (value!.AsArray() is var types && (types.Count != 2 || types.Any(v => v?.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))))
                {
                    throw ApiException.Invalid("训练参数'loss_type'应为两个布尔值[dice, bce] (loss_type must be [dice, bce], two booleans)");
                }

                break;
            default:
                if (key.EndsWith("_prob", StringComparison.Ordinal) && value!.AsDouble() is < 0 or > 1)
                {
                    throw ApiException.Invalid($"训练参数'{key}'应在0到1之间 (training parameter '{key}' must be between 0 and 1)");
                }

                break;
        }
    }

    private static bool IsWhole(JsonNode? node) =>
        node?.GetValueKind() == JsonValueKind.Number && node.AsDouble() is var d && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue;

    /// <summary>A model with a backbone choice (DeepLabV3P, the detection models) takes only its own backbones (not
    /// 1.x's Xception65, nor ResNet50_vd_ssld for PP-YOLO). Switching the model without naming a backbone moves a
    /// backbone the new model cannot build to the new model's default, so <c>{"model": "PPYOLOv2"}</c> alone works.</summary>
    private static void CheckBackbone(JsonObject p, string projectType, bool backboneGiven)
    {
        if (p["model"]?.GetValueKind() != JsonValueKind.String || p["backbone"]?.GetValueKind() != JsonValueKind.String)
        {
            return;
        }

        var model = p["model"]!.GetValue<string>();
        var backbone = p["backbone"]!.GetValue<string>();
        var valid = ModelCatalog.Backbones(projectType, model);
        if (valid.Count == 0 || valid.Contains(backbone, StringComparer.Ordinal))
        {
            return;
        }

        if (!backboneGiven)
        {
            p["backbone"] = valid[0];
            return;
        }

        throw ApiException.Invalid($"模型{model}不支持骨干网络{backbone}，可选: {string.Join(", ", valid)} (backbone '{backbone}' is not available for {model}; valid: {string.Join(", ", valid)})");
    }

    private static ApiException Wrong(string key) =>
        ApiException.Invalid($"训练参数'{key}'的类型不正确 (training parameter '{key}' has the wrong type)");
}
