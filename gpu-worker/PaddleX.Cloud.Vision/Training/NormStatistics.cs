using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>
/// Re-estimates the running statistics of a network's BatchNorm layers for its current weights ("precise BN").
/// During training they are an exponential average (momentum 0.1, PaddlePaddle's 0.9) of batch statistics taken
/// while the weights were still moving; early in a from-scratch run the weights change faster than that average
/// follows, and a network that classifies well in training mode scores at chance in evaluation mode. Averaging the
/// statistics of a few hundred training images with the weights frozen gives evaluation, checkpoints and exports the
/// statistics of the network they actually hold.
/// </summary>
public static class NormStatistics
{
    /// <summary>Training images averaged per refresh: enough for stable statistics, a fraction of an epoch on real sets.</summary>
    public const int MaxSamples = 512;

    /// <summary>Replaces the running mean and variance of every BatchNorm layer that is in training mode by the
    /// average of their batch statistics over <paramref name="inputs"/> (forwarded under no_grad; each is disposed). Frozen layers (evaluation mode)
    /// and networks without BatchNorm are left as they are.</summary>
    /// <returns>the number of layers refreshed (0: nothing ran).</returns>
    public static int Refresh(nn.Module<Tensor, Tensor> model, IEnumerable<Tensor> inputs, CancellationToken ct)
    {
        var norms = model.modules().OfType<BatchNorm>().Where(n => n.training && n.track_running_stats).ToList();
        if (norms.Count == 0)
        {
            return 0;
        }

        var momentum = norms.Select(n => n.momentum).ToArray();
        var count = norms.Select(n => n.num_batches_tracked?.clone()).ToArray();
        var saved = norms.Select(n => (Mean: n.running_mean!.clone(), Var: n.running_var!.clone())).ToArray();
        var sums = norms.Select(n => (Mean: zeros_like(n.running_mean!), Var: zeros_like(n.running_var!))).ToArray();
        int batches = 0;
        bool done = false;
        try
        {
            // Momentum 1 leaves each batch's own statistics in the running buffers; their plain average over the
            // batches is the estimate (TorchSharp's null-momentum cumulative mode differs between versions).
            norms.ForEach(n => n.momentum = 1.0);
            using var noGrad = no_grad();
            foreach (Tensor input in inputs)
            {
                using (input)
                using (var scope = NewDisposeScope())
                {
                    ct.ThrowIfCancellationRequested();
                    model.call(input);
                }

                for (int i = 0; i < norms.Count; i++)
                {
                    sums[i].Mean.add_(norms[i].running_mean!);
                    sums[i].Var.add_(norms[i].running_var!);
                }

                batches++;
            }

            if (batches > 0)
            {
                for (int i = 0; i < norms.Count; i++)
                {
                    norms[i].running_mean!.copy_(sums[i].Mean.div_(batches));
                    norms[i].running_var!.copy_(sums[i].Var.div_(batches));
                }
            }

            done = true;
        }
        finally
        {
            for (int i = 0; i < norms.Count; i++)
            {
                norms[i].momentum = momentum[i];
                if (!done || batches == 0)
                {
                    // Cancelled or no data: the layer keeps the statistics it had.
                    norms[i].running_mean!.copy_(saved[i].Mean);
                    norms[i].running_var!.copy_(saved[i].Var);
                }

                if (count[i] is { } c)
                {
                    norms[i].num_batches_tracked!.copy_(c);
                    c.Dispose();
                }

                saved[i].Mean.Dispose();
                saved[i].Var.Dispose();
                sums[i].Mean.Dispose();
                sums[i].Var.Dispose();
            }
        }

        return batches == 0 ? 0 : norms.Count;
    }
}
