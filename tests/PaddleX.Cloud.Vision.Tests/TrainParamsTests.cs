using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Vision.Tests;

public class TrainParamsTests
{
    [Fact]
    public void Stored_paddlex_params_deserialize_and_unknown_keys_are_ignored()
    {
        const string json = """
        {"cuda_visible_devices": "", "batch_size": 4, "save_interval_epochs": 5, "pretrain_weights": "IMAGENET",
         "model": "ResNet18", "num_epochs": 10, "learning_rate": 0.0015625, "lr_decay_epochs": [4, 6, 8],
         "train_num": 100, "resume_checkpoint": null, "sensitivities_path": null, "pruned_flops": null,
         "image_shape": [224, 224], "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225],
         "horizontal_flip_prob": 0.5, "brightness_range": 0.9, "brightness_prob": 0.5, "contrast_range": 0.9,
         "contrast_prob": 0.5, "saturation_range": 0.9, "saturation_prob": 0.5, "hue_range": 18, "hue_prob": 0.5,
         "horizontal_flip": true, "brightness": true, "contrast": true, "saturation": false, "hue": false,
         "lr_policy": "Cosine", "vertical_flip_prob": 0.0, "vertical_flip": true, "rotate": true, "rotate_prob": 0.5,
         "rotate_range": 30, "cpu_num": 1}
        """;
        TrainParams p = TrainParams.FromJson(json);
        Assert.Equal("ResNet18", p.Model);
        Assert.Equal(4, p.BatchSize);
        Assert.Equal([4, 6, 8], p.LrDecayEpochs);
        Assert.Equal(LrPolicy.Cosine, LrSchedule.ParsePolicy(p.LrPolicy));
        Assert.False(p.WantsCuda);
        Assert.Null(p.ResumeCheckpoint);
        Assert.Equal(224, p.Width);
        var a = p.ToAugmentOptions();
        Assert.True(a.Rotate);
        Assert.False(a.Saturation);
        Assert.Equal(18, a.HueRange);
        Assert.True(TrainParams.FromJson("""{"cuda_visible_devices": "0, 1"}""").WantsCuda);
        TrainParams back = TrainParams.FromJson(p.ToJson());
        Assert.Equal(p.LrDecayEpochs, back.LrDecayEpochs);
        Assert.Equal(p.ImageStd, back.ImageStd);
        int[] noInts = Array.Empty<int>();
        double[] noDoubles = Array.Empty<double>();
        bool[] noBools = Array.Empty<bool>();
        Assert.Equal(p.LossType, back.LossType);
        Assert.Equal(p.RandomShapeSizes, back.RandomShapeSizes);
        Assert.Equal(p with { LrDecayEpochs = noInts, ImageShape = noInts, ImageMean = noDoubles, ImageStd = noDoubles, LossType = noBools, RandomShapeSizes = noInts },
            back with { LrDecayEpochs = noInts, ImageShape = noInts, ImageMean = noDoubles, ImageStd = noDoubles, LossType = noBools, RandomShapeSizes = noInts });
    }
}
