using System.Diagnostics;
using PaddleX.Cloud.Vision.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>BatchNorm running statistics re-estimated before every evaluation (<see cref="NormStatistics"/>).</summary>
public class NormStatisticsTests(SyntheticDatasetFixture fixture, ITestOutputHelper output) : IClassFixture<SyntheticDatasetFixture>
{
    // Regression: trained from scratch on this set, MobileNetV2 scored at chance in evaluation mode for the first
    // five epochs (0.25, 0.25, 0.25, 0.275, 0.525, 0.775) while its training-mode accuracy was 0.8–0.95: the running
    // statistics, an exponential average over ~10 steps, lagged behind weights that were still changing fast.
    // Debian's PyTorch 1.13 with the same recipe on the same images does the same (0.25 until epoch 5).
    [Fact]
    public void MobileNetV2_from_scratch_scores_in_eval_mode_what_it_learned()
    {
        var root = TempDir.Create("pdx-mnv2-bn-");
        try
        {
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var p = TrainingTests.Small(6) with { Model = "MobileNetV2", LrDecayEpochs = [4] };
            var result = new ClassificationTrainer().Run(new TrainingRequest { Params = p, DatasetDir = fixture.Data.Dir, OutputDir = root });
            var evals = result.History.Select(h => h.EvalMetrics!["acc1"]).ToArray();
            output.WriteLine($"eval top-1 per epoch: {string.Join(", ", evals)}; {(Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds:0.0}s CPU");
            Assert.True(result.BestAcc1 >= 0.9, $"best eval top-1 {result.BestAcc1}");
            Assert.True(evals[2] >= 0.6, $"eval top-1 after 3 epochs {evals[2]}");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Refresh_sets_the_statistics_of_the_data_and_leaves_frozen_layers_alone()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        var model = nn.Sequential(("conv", nn.Conv2d(3, 4, 3, bias: false)), ("bn", nn.BatchNorm2d(4)), ("frozen", nn.BatchNorm2d(4)));
        model.train();
        var frozen = (TorchSharp.Modules.BatchNorm2d)model[2];
        frozen.eval();
        var batches = Enumerable.Range(0, 3).Select(i => torch.randn(8, 3, 6, 6) * (i + 1) + i).ToArray();

        int refreshed = NormStatistics.Refresh(model, batches.Select(b => b.clone()), CancellationToken.None);

        Assert.Equal(1, refreshed);
        var bn = (TorchSharp.Modules.BatchNorm2d)model[1];
        using (torch.no_grad())
        {
            var conv = model[0].call(torch.cat(batches.Select(b => b.unsqueeze(0)).ToArray()).flatten(0, 1));
            var perBatch = conv.reshape(3, 8, 4, 4, 4);
            var mean = perBatch.mean([1, 3, 4]).mean([0]);
            var variance = perBatch.transpose(1, 2).reshape(3, 4, -1).var(2).mean([0]);
            Assert.True(bn.running_mean!.allclose(mean, rtol: 1e-4, atol: 1e-5), "running mean");
            Assert.True(bn.running_var!.allclose(variance, rtol: 1e-4, atol: 1e-5), "running variance");
        }

        Assert.Equal(0.0f, frozen.running_mean!.abs().sum().item<float>());
        Assert.Equal(0.1, bn.momentum);

        // A cancelled refresh keeps the statistics the layer had.
        var before = bn.running_mean!.clone();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => NormStatistics.Refresh(model, batches.Select(b => b.clone()), cts.Token));
        Assert.True(bn.running_mean!.allclose(before, rtol: 0, atol: 0));
    }
}
