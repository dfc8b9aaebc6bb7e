using PaddleX.Cloud.Vision.Models;
using PaddleX.Cloud.Vision.Training;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>ResNet18 fine-tuned from the built-in IMAGENET weights beats the same training from scratch on a small
/// texture set (64×64, few images, equal epochs and schedule).</summary>
public class FineTuneTests(ITestOutputHelper output)
{
    [Fact]
    public void ImageNet_fine_tuning_beats_training_from_scratch_at_equal_epochs()
    {
        using SyntheticDataset data = Textures.Create(trainPerClass: 16, valPerClass: 10, size: 64, seed: 11);
        string pretrain = TempDir.Create("pdx-pretrain-");
        try
        {
            double scratch = Train(data.Dir, "", pretrain, out string scratchLog);
            double tuned = Train(data.Dir, "IMAGENET", pretrain, out string tunedLog);
            output.WriteLine($"val top-1 after 5 epochs: scratch {scratch:F3}, IMAGENET {tuned:F3}"); // measured 0.575 and 0.850
            Assert.Contains(PretrainedWeights.Found, tunedLog, StringComparison.Ordinal);
            Assert.DoesNotContain("download", scratchLog, StringComparison.Ordinal);
            Assert.True(tuned >= 0.75, $"fine-tuned val top-1 {tuned:F3}");
            Assert.True(tuned >= scratch + 0.15, $"fine-tuned {tuned:F3} vs scratch {scratch:F3}");
        }
        finally
        {
            Directory.Delete(pretrain, true);
        }
    }

    /// <summary>ResNet18, 64×64, batch 16, lr 0.002 (×0.1 for the last epoch), 5 epochs; the same for both runs.</summary>
    private static double Train(string dataset, string weights, string pretrainDir, out string log, double lr = 0.002, int batch = 16, int epochs = 5)
    {
        string dir = TempDir.Create();
        var writer = new StringWriter();
        try
        {
            TrainParams p = TrainingTests.Small(epochs: epochs) with
            {
                ImageShape = [64, 64],
                ImageMean = [0.485, 0.456, 0.406],
                ImageStd = [0.229, 0.224, 0.225],
                BatchSize = batch,
                LearningRate = lr,
                LrDecayEpochs = [epochs - 1],
                SaveIntervalEpochs = epochs,
                PretrainWeights = weights,
                PretrainDir = pretrainDir,
            };
            TrainingResult r = new ClassificationTrainer().Run(new TrainingRequest { Params = p, DatasetDir = dataset, OutputDir = dir, Log = writer });
            log = writer.ToString();
            using (var predictor = new Inference.ClassificationPredictor(r.BestModelDir!))
            {
                // The checkpoint records the network layout the weights needed, so it opens again as the same network.
                Assert.Equal(weights == "IMAGENET" ? Models.Classification.ClassificationModels.CntkLayout : null, predictor.State.Layout);
            }

            return r.BestAcc1;
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
