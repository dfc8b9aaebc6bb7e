using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Params;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>Every training parameter takes the forms PaddleX clients send (null where the original has
/// "not set", numbers as text, ints for floats, lists as JSON text) and is stored in the kind the
/// engine reads; values no client could mean are refused.</summary>
public class TrainParamTypesTests
{
    /// <summary>(project type, the client's <c>train</c> dict, key, stored value as JSON).</summary>
    public static readonly TheoryData<string, string, string, string> Accepted = new()
    {
        { "classification", """{"cuda_visible_devices": "0,1"}""", "cuda_visible_devices", "\"0,1\"" },
        { "classification", """{"batch_size": "8"}""", "batch_size", "8" },
        { "classification", """{"batch_size": 8.0}""", "batch_size", "8" },
        { "classification", """{"save_interval_epochs": "2"}""", "save_interval_epochs", "2" },
        { "classification", """{"pretrain_weights": null}""", "pretrain_weights", "null" },
        { "classification", """{"pretrain_weights": ""}""", "pretrain_weights", "\"\"" },
        { "classification", """{"pretrain_weights": "none"}""", "pretrain_weights", "\"none\"" },
        { "classification", """{"pretrain_weights": "PM0001"}""", "pretrain_weights", "\"PM0001\"" },
        { "classification", """{"model": "ResNet18"}""", "model", "\"ResNet18\"" },
        { "classification", """{"num_epochs": " 6 "}""", "num_epochs", "6" },
        { "classification", """{"learning_rate": 1}""", "learning_rate", "1" },
        { "classification", """{"learning_rate": "0.01"}""", "learning_rate", "0.01" },
        { "classification", """{"lr_decay_epochs": "[4, 6]"}""", "lr_decay_epochs", "[4,6]" },
        { "classification", """{"lr_decay_epochs": [4.0, 6]}""", "lr_decay_epochs", "[4,6]" },
        { "classification", """{"train_num": "10"}""", "train_num", "10" },
        { "classification", """{"resume_checkpoint": null}""", "resume_checkpoint", "null" },
        { "classification", """{"sensitivities_path": null}""", "sensitivities_path", "null" },
        { "classification", """{"pruned_flops": "0.2"}""", "pruned_flops", "0.2" },
        { "classification", """{"pruned_flops": null}""", "pruned_flops", "null" },
        { "classification", """{"eval_metric_loss": 0.05}""", "eval_metric_loss", "0.05" },
        { "classification", """{"cpu_num": "2"}""", "cpu_num", "2" },
        { "classification", """{"image_shape": "[64, 64]"}""", "image_shape", "[64,64]" },
        { "classification", """{"image_shape": [64.0, 48]}""", "image_shape", "[64,48]" },
        { "classification", """{"image_mean": "[0.5, 0.5, 0.5]"}""", "image_mean", "[0.5,0.5,0.5]" },
        { "classification", """{"image_std": [1, 1, 1]}""", "image_std", "[1,1,1]" },
        { "classification", """{"seed": "3"}""", "seed", "3" },
        { "classification", """{"horizontal_flip": "false"}""", "horizontal_flip", "false" },
        { "classification", """{"horizontal_flip": 0}""", "horizontal_flip", "false" },
        { "classification", """{"horizontal_flip_prob": "0.3"}""", "horizontal_flip_prob", "0.3" },
        { "classification", """{"brightness": "True"}""", "brightness", "true" },
        { "classification", """{"brightness_range": 1}""", "brightness_range", "1" },
        { "classification", """{"brightness_prob": 1}""", "brightness_prob", "1" },
        { "classification", """{"contrast": 1}""", "contrast", "true" },
        { "classification", """{"contrast_range": "0.5"}""", "contrast_range", "0.5" },
        { "classification", """{"contrast_prob": "0.25"}""", "contrast_prob", "0.25" },
        { "classification", """{"saturation": false}""", "saturation", "false" },
        { "classification", """{"saturation_range": "0.4"}""", "saturation_range", "0.4" },
        { "classification", """{"saturation_prob": 0}""", "saturation_prob", "0" },
        { "classification", """{"hue": "false"}""", "hue", "false" },
        { "classification", """{"hue_range": "20"}""", "hue_range", "20" },
        { "classification", """{"hue_prob": "0.1"}""", "hue_prob", "0.1" },
        { "classification", """{"lr_policy": "Cosine"}""", "lr_policy", "\"Cosine\"" },
        { "classification", """{"vertical_flip": "true"}""", "vertical_flip", "true" },
        { "classification", """{"vertical_flip_prob": "0.2"}""", "vertical_flip_prob", "0.2" },
        { "classification", """{"rotate": "true"}""", "rotate", "true" },
        { "classification", """{"rotate": true, "rotate_prob": "0.4"}""", "rotate_prob", "0.4" },
        { "classification", """{"rotate_range": "15"}""", "rotate_range", "15" },
        { "classification", """{"warmup_steps": "5"}""", "warmup_steps", "5" },
        { "classification", """{"warmup_start_lr": 0}""", "warmup_start_lr", "0" },
        { "detection", """{"model": "YOLOv3"}""", "model", "\"YOLOv3\"" },
        { "detection", """{"use_mixup": "false"}""", "use_mixup", "false" },
        { "detection", """{"mixup_alpha": "2"}""", "mixup_alpha", "2" },
        { "detection", """{"mixup_beta": 2}""", "mixup_beta", "2" },
        { "detection", """{"expand_prob": "0.3"}""", "expand_prob", "0.3" },
        { "detection", """{"expand_image": 0}""", "expand_image", "false" },
        { "detection", """{"crop_image": "false"}""", "crop_image", "false" },
        { "detection", """{"backbone": "ResNet50"}""", "backbone", "\"ResNet50\"" },
        { "detection", """{"with_fpn": 0}""", "with_fpn", "false" },
        { "detection", """{"random_shape": "false"}""", "random_shape", "false" },
        { "detection", """{"random_shape_sizes": "[320, 352]"}""", "random_shape_sizes", "[320,352]" },
        { "detection", """{"pretrain_weights": null}""", "pretrain_weights", "null" },
        { "segmentation", """{"loss_type": "[true, false]"}""", "loss_type", "[true,false]" },
        { "segmentation", """{"optimizer": "SGD"}""", "optimizer", "\"SGD\"" },
        { "segmentation", """{"backbone": "ResNet50_vd"}""", "backbone", "\"ResNet50_vd\"" },
        { "segmentation", """{"blur": "true"}""", "blur", "true" },
        { "segmentation", """{"blur": true, "blur_prob": "0.1"}""", "blur_prob", "0.1" },
        { "segmentation", """{"scale_aspect": 1}""", "scale_aspect", "true" },
        { "segmentation", """{"min_ratio": "0.4"}""", "min_ratio", "0.4" },
        { "segmentation", """{"aspect_ratio": 1}""", "aspect_ratio", "1" },
    };

    /// <summary>(project type, the client's <c>train</c> dict, a word the message must name).</summary>
    public static readonly TheoryData<string, string, string> Refused = new()
    {
        { "classification", """{"num_epochs": null}""", "num_epochs" },
        { "classification", """{"model": null}""", "model" },
        { "classification", """{"model": 18}""", "model" },
        { "classification", """{"pretrain_weights": 5}""", "pretrain_weights" },
        { "classification", """{"batch_size": "2.5"}""", "batch_size" },
        { "classification", """{"learning_rate": "fast"}""", "learning_rate" },
        { "classification", """{"learning_rate": "NaN"}""", "learning_rate" },
        { "classification", """{"image_shape": "[224]"}""", "image_shape" },
        { "classification", """{"image_shape": "224x224"}""", "image_shape" },
        { "classification", """{"image_shape": [224.5, 224]}""", "image_shape" },
        { "classification", """{"lr_decay_epochs": "[4.5]"}""", "lr_decay_epochs" },
        { "classification", """{"image_mean": ["a", 0, 0]}""", "image_mean" },
        { "classification", """{"horizontal_flip": "yes"}""", "horizontal_flip" },
        { "classification", """{"horizontal_flip": 2}""", "horizontal_flip" },
        { "classification", """{"cuda_visible_devices": [0]}""", "cuda_visible_devices" },
        { "classification", """{"pruned_flops": "a lot"}""", "pruned_flops" },
        { "detection", """{"random_shape_sizes": [320.5]}""", "random_shape_sizes" },
        { "segmentation", """{"loss_type": "[1, 2]"}""", "loss_type" },
    };

    private static readonly string[] ProjectTypes = ["classification", "detection", "instance_segmentation", "segmentation", "remote_segmentation"];

    [Theory]
    [MemberData(nameof(Accepted))]
    public void Each_parameter_takes_the_forms_PaddleX_clients_send(string projectType, string train, string key, string stored)
    {
        var parameters = TrainingParams.Defaults(projectType);
        TrainingParams.Merge(parameters, JsonNode.Parse(train)!.AsObject(), projectType);
        Assert.Equal(stored, parameters[key]?.ToJsonString() ?? "null");
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_value_of_no_accepted_form_is_refused_and_changes_nothing(string projectType, string train, string mentioned)
    {
        var parameters = TrainingParams.Defaults(projectType);
        var before = parameters.ToJsonString();
        var error = Assert.Throws<ApiException>(() => TrainingParams.Merge(parameters, JsonNode.Parse(train)!.AsObject(), projectType));
        Assert.Equal(ErrorCodes.InvalidArgument, error.Code);
        Assert.Contains(mentioned, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, parameters.ToJsonString());
    }

    [Fact]
    public void The_table_covers_every_stored_parameter_of_every_project_type()
    {
        var covered = Accepted.Select(row => ((string)row[0], (string)row[2])).ToHashSet();
        var family = new Dictionary<string, string> { ["instance_segmentation"] = "detection", ["remote_segmentation"] = "segmentation" };
        var missing = ProjectTypes
            .SelectMany(type => TrainingParams.Defaults(type).Select(p => (Type: type, p.Key)))
            .Where(p => !covered.Contains(("classification", p.Key)) && !covered.Contains((family.GetValueOrDefault(p.Type, p.Type), p.Key)))
            .Select(p => $"{p.Type}.{p.Key}")
            .Distinct()
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void A_from_scratch_value_stays_changeable()
    {
        var parameters = TrainingParams.Defaults("classification");
        TrainingParams.Merge(parameters, JsonNode.Parse("""{"pretrain_weights": null}""")!.AsObject(), "classification");
        TrainingParams.Merge(parameters, JsonNode.Parse("""{"pretrain_weights": "IMAGENET"}""")!.AsObject(), "classification");
        Assert.Equal("IMAGENET", parameters["pretrain_weights"]!.GetValue<string>());
    }
}
