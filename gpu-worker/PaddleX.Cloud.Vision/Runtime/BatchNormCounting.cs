using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Runtime;

/// <summary>
/// Takes BatchNorm's batch counting out of TorchSharp's forward. TorchSharp 0.107 counts with
/// <c>num_batches_tracked.add_(1)</c>: the 1 and the implied alpha become temporary <see cref="Scalar"/>s whose native
/// handles go to libtorch while nothing keeps the managed objects alive. A collection started by another thread
/// (a data loader, a parallel test) lets the finalizer free them during the call; libtorch then reads whatever reuses
/// the memory and, when that is a float, fails with "For integral input tensors, argument alpha must not be a floating
/// point number" (or silently counts wrong). With a momentum set the counter does not enter the arithmetic, so the
/// guard parks it before forward (forward then skips counting) and adds one afterwards with a Scalar that lives as long
/// as the process. Numerics, state dict keys and counter values stay those of the plain module.
/// </summary>
public static class BatchNormCounting
{
    private static readonly ConditionalWeakTable<BatchNorm, object> Guarded = new();

    /// <summary>Guards <paramref name="model"/> and every BatchNorm layer in it (idempotent).</summary>
    /// <returns>the number of layers newly guarded.</returns>
    public static int Guard(nn.Module model)
    {
        int added = 0;
        // TorchSharp's modules() leaves out the module itself.
        foreach (var norm in model.modules().Prepend(model).OfType<BatchNorm>())
        {
            if (Guarded.TryAdd(norm, HeldScalars.One))
            {
                Install(norm);
                added++;
            }
        }

        return added;
    }

    private static void Install(BatchNorm norm)
    {
        Tensor? parked = null;
        norm.register_forward_pre_hook(_ =>
        {
            if (parked is not null)
            {
                // The previous forward threw before the post-hook ran: put the counter back uncounted.
                norm.num_batches_tracked = parked;
                parked = null;
            }

            if (norm.training && norm.track_running_stats && norm.momentum is not null && norm.num_batches_tracked is { } counter)
            {
                // The setter disposes the tensor it replaces, so the counter travels as a copy outside any DisposeScope.
                parked = counter.clone().DetachFromDisposeScope();
                norm.num_batches_tracked = null;
            }
        });
        norm.register_forward_hook(_ =>
        {
            if (parked is not null)
            {
                // add_(Scalar) alone would build the alpha 1 as another temporary Scalar.
                norm.num_batches_tracked = parked.add_(HeldScalars.One, HeldScalars.One);
                parked = null;
            }
        });
    }
}
