using System.Text.Json.Nodes;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>The <c>train</c> parameters of a tiny detection task: 64-pixel inputs, one epoch from scratch, no mixup or
/// multi-scale, a fixed seed — enough to go through training, evaluation and export quickly.</summary>
internal static class DetectionTrainParams
{
    public static JsonObject Tiny(string model, string backbone, int batchSize) => new()
    {
        ["model"] = model,
        ["backbone"] = backbone,
        ["image_shape"] = new JsonArray(64, 64),
        ["batch_size"] = batchSize,
        ["num_epochs"] = 1,
        ["save_interval_epochs"] = 1,
        ["learning_rate"] = 0.001,
        ["lr_decay_epochs"] = new JsonArray(1),
        ["warmup_steps"] = 1,
        ["use_mixup"] = false,
        ["random_shape"] = false,
        ["pretrain_weights"] = string.Empty,
        ["seed"] = 2,
    };
}
