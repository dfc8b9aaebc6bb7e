using System.Text.Json.Nodes;

namespace PaddleX.Cloud.Api.Tests.Infrastructure;

/// <summary>Training parameters small enough for CI: ResNet18 on 32×32 pictures, no colour jitter,
/// from scratch, a fixed seed.</summary>
public static class TinyTraining
{
    public static JsonObject ResNet18(int epochs, int decayEpoch) => new()
    {
        ["model"] = "ResNet18",
        ["image_shape"] = new JsonArray(32, 32),
        ["batch_size"] = 16,
        ["num_epochs"] = epochs,
        ["learning_rate"] = 0.05,
        ["lr_decay_epochs"] = new JsonArray(decayEpoch),
        ["save_interval_epochs"] = 1,
        ["image_mean"] = new JsonArray(0.5, 0.5, 0.5),
        ["image_std"] = new JsonArray(0.5, 0.5, 0.5),
        ["pretrain_weights"] = string.Empty,
        ["vertical_flip"] = false,
        ["brightness"] = false,
        ["contrast"] = false,
        ["saturation"] = false,
        ["hue"] = false,
        ["rotate"] = false,
        ["seed"] = 3,
    };
}
