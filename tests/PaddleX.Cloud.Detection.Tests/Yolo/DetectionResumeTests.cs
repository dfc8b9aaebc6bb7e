using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Training;
using PaddleX.Cloud.Vision.Training;
using TorchSharp;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Detection.Tests.Yolo;

/// <summary>Resuming detection checkpoints whose optimizer state does not fit today's optimizer: checkpoints
/// written before weight decay moved to its own parameter group hold a single group.</summary>
public sealed class DetectionResumeTests(ITestOutputHelper output)
{
    [Fact]
    public void A_checkpoint_with_a_one_group_optimizer_state_resumes_with_a_fresh_optimizer()
    {
        var (_, data) = DetectionShapes.Prepare(new ShapeDetectionOptions { Count = 8, MaxSide = 64, Seed = 5 }, valSplit: 0.25, testSplit: 0);
        string dir = TempFolders.Create("pdx-det-resume");
        TrainParams recipe = YoloTrainingTests.Recipe(epochs: 1, side: 32, batch: 4) with { SaveIntervalEpochs = 1 };
        Assert.Equal(TrainingOutcome.Completed, Train(recipe, data, Path.Combine(dir, "first"), resume: null).Result.Outcome);
        string epoch1 = Path.Combine(dir, "first", "epoch_1");

        // Today's optimizer state fits itself.
        using (var predictor = new DetectionPredictor(epoch1))
        using (var current = DetectionFamily.Optimizer(DetectionModels.AsModule(predictor.Detector), recipe))
        {
            Assert.Null(Checkpoints.TryLoadOptimizer(epoch1, current));

            // The old layout: one SGD group over every parameter, as the checkpoint would have been written then.
            var parameters = DetectionModels.AsModule(predictor.Detector).parameters().Where(t => t.requires_grad);
            using var old = torch.optim.SGD(parameters, recipe.LearningRate, momentum: recipe.Momentum, weight_decay: 5e-4);
            ((TorchSharp.Modules.OptimizerHelper)old).save_state_dict(Path.Combine(epoch1, Checkpoints.OptimizerFile));
            Assert.Contains("parameter groups", Checkpoints.TryLoadOptimizer(epoch1, current));
        }

        var (result, log) = Train(recipe with { NumEpochs = 2 }, data, Path.Combine(dir, "resumed"), resume: epoch1);
        output.WriteLine(log);
        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        Assert.Contains("does not fit this optimizer", log);
        Assert.Contains("Resume training from", log);
        Assert.Matches(@"\[TRAIN\] Epoch=2/2", log);
        Assert.DoesNotMatch(@"\[TRAIN\] Epoch=1/2", log);
    }

    private static (TrainingResult Result, string Log) Train(TrainParams p, string data, string outputDir, string? resume)
    {
        var log = new StringWriter();
        TrainingResult result = Vision.Training.Trainers.For("detection").Run(new TrainingRequest
        {
            Params = p with { ResumeCheckpoint = resume, LogIntervalSteps = 1 },
            DatasetDir = data,
            OutputDir = outputDir,
            Log = log,
        });
        return (result, log.ToString());
    }
}
