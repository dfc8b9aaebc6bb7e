using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>A worker that stops mid-epoch saves where it stands (<c>output/.interrupted</c>), and the run
/// resumed from it continues at the next batch, ending where the uninterrupted run ends.</summary>
public class InterruptionCheckpointTests(SyntheticDatasetFixture fixture) : IClassFixture<SyntheticDatasetFixture>
{
    private readonly SyntheticDataset _data = fixture.Data;

    [Fact]
    public void Shutdown_mid_epoch_saves_the_step_and_the_resumed_run_continues_there_to_the_same_end()
    {
        string straight = TempDir.Create(), split = TempDir.Create();
        try
        {
            TrainParams p = TrainingTests.Small(2); // 6 steps per epoch
            TrainingResult full = new ClassificationTrainer().Run(new TrainingRequest { Params = p, DatasetDir = _data.Dir, OutputDir = straight });

            // The host stops during epoch 2, after its second batch (global step 8).
            using var cts = new CancellationTokenSource();
            TrainingResult first = new ClassificationTrainer().Run(new TrainingRequest
            {
                Params = p,
                DatasetDir = _data.Dir,
                OutputDir = split,
                OnStep = s =>
                {
                    if (s.GlobalStep == 8)
                    {
                        cts.Cancel();
                    }
                },
                IsShuttingDown = () => true,
            }, cts.Token);
            Assert.Equal(TrainingOutcome.Cancelled, first.Outcome);
            string interrupted = Path.Combine(split, Checkpoints.InterruptedDir);
            Assert.True(Checkpoints.IsComplete(interrupted));
            Assert.True(File.Exists(Path.Combine(interrupted, Checkpoints.OptimizerFile)));
            CheckpointState state = Checkpoints.ReadState(interrupted);
            Assert.Equal((1, 2, 8L), (state.Epoch, state.EpochStep, state.GlobalStep));
            Assert.Equal(16 * 2, state.Partial!.Seen);
            Assert.Equal(["epoch_1"], Directory.EnumerateDirectories(split, "epoch_*").Select(Path.GetFileName)); // not an epoch

            var steps = new List<TrainingProgress>();
            TrainingResult resumed = new ClassificationTrainer().Run(new TrainingRequest
            {
                Params = p with { ResumeCheckpoint = interrupted },
                DatasetDir = _data.Dir,
                OutputDir = split,
                OnStep = steps.Add,
            });
            Assert.Equal(TrainingOutcome.Completed, resumed.Outcome);
            Assert.Equal([3, 4, 5, 6], steps.Select(s => s.Step));
            Assert.All(steps, s => Assert.Equal(2, s.Epoch));
            Assert.Equal(9, steps[0].GlobalStep);
            Assert.Equal(full.GlobalStep, resumed.GlobalStep);
            Assert.Equal(12, resumed.GlobalStep);
            Assert.False(Directory.Exists(interrupted)); // superseded by epoch_2

            // Same batches, same order, optimizer and schedule restored: the epoch's record and weights match.
            Assert.Equal(full.History.Count, resumed.History.Count);
            Assert.Equal(full.History[^1].Loss, resumed.History[^1].Loss, 4);
            var a = Models.PretrainedWeights.ReadStateDict(Path.Combine(straight, "epoch_2", "model.dat"));
            var b = Models.PretrainedWeights.ReadStateDict(Path.Combine(split, "epoch_2", "model.dat"));
            foreach (var (name, t) in a)
            {
                Assert.True(t.allclose(b[name], rtol: 1e-4, atol: 1e-5), $"{name} differs after resume");
            }
        }
        finally
        {
            Directory.Delete(straight, true);
            Directory.Delete(split, true);
        }
    }

    [Fact]
    public void A_stop_by_the_user_saves_no_interruption_checkpoint()
    {
        string output = TempDir.Create();
        try
        {
            using var cts = new CancellationTokenSource();
            TrainingResult result = new ClassificationTrainer().Run(new TrainingRequest
            {
                Params = TrainingTests.Small(2),
                DatasetDir = _data.Dir,
                OutputDir = output,
                OnStep = s =>
                {
                    if (s.GlobalStep == 2)
                    {
                        cts.Cancel();
                    }
                },
                IsShuttingDown = () => false,
            }, cts.Token);
            Assert.Equal(TrainingOutcome.Cancelled, result.Outcome);
            Assert.False(Directory.Exists(Path.Combine(output, Checkpoints.InterruptedDir)));
        }
        finally
        {
            Directory.Delete(output, true);
        }
    }
}
