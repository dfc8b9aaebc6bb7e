using PaddleX.Cloud.Vision.Training;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>ResNet18 fine-tuned from the built-in IMAGENET weights beats the same training from scratch on a small
/// texture set (64×64, few images, equal epochs and schedule).</summary>
public class FineTuneTests(ITestOutputHelper output)
{
    [Fact]
    public void Explore()
    {
        using SyntheticDataset data = Textures.Create(trainPerClass: 16, valPerClass: 10, size: 64, seed: 11);
        string pretrain = TempDir.Create("pdx-pretrain-");
        foreach (double lr in new[] { 0.002, 0.005 })
        {
            foreach (string w in new[] { "", "IMAGENET" })
            {
                double acc = Train(data.Dir, w, pretrain, out _, lr, 16, 5);
                File.AppendAllText("/tmp/explore.txt", $"lr {lr} {w}: {acc}\n");
            }
        }
    }

    [Fact]
    public void ImageNet_fine_tuning_beats_training_from_scratch_at_equal_epochs()
    {
        using SyntheticDataset data = Textures.Create(trainPerClass: 8, valPerClass: 10, size: 64, seed: 11);
        string pretrain = TempDir.Create("pdx-pretrain-");
        try
        {
            double scratch = Train(data.Dir, "", pretrain, out string scratchLog);
            double tuned = Train(data.Dir, "IMAGENET", pretrain, out string tunedLog);
            output.WriteLine(scratchLog + tunedLog);
            output.WriteLine($"val top-1: scratch {scratch:F3}, IMAGENET {tuned:F3}");
            Assert.Contains("download completed", tunedLog, StringComparison.Ordinal);
            Assert.DoesNotContain("download", scratchLog, StringComparison.Ordinal);
            Assert.True(tuned >= 0.8, $"fine-tuned val top-1 {tuned:F3}");
            Assert.True(tuned >= scratch + 0.3, $"fine-tuned {tuned:F3} vs scratch {scratch:F3}");
        }
        finally
        {
            Directory.Delete(pretrain, true);
        }
    }

    private static double Train(string dataset, string weights, string pretrainDir, out string log, double lr = 0.01, int batch = 8, int epochs = 4)
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
            return r.BestAcc1;
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
