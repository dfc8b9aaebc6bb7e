using System.Runtime.InteropServices;
using PaddleX.Cloud.Vision.Runtime;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>
/// TorchSharp passes the native handles of temporary Scalars to libtorch without keeping them alive, so a collection
/// on another thread can free one mid-call (see <see cref="BatchNormCounting"/>). These run the int64 counting that
/// BatchNorm does while a second thread churns float Scalars and forces collections.
/// </summary>
public sealed class ScalarLifetimeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Pressure = TimeSpan.FromSeconds(4);

    /// <summary>Runs <paramref name="step"/> until <see cref="Pressure"/> has passed, under GC pressure from a second
    /// thread; <paramref name="check"/> returns false for a wrong result. Returns (failed steps, steps).</summary>
    private static (int Failures, long Steps) UnderGcPressure(Action step, Func<long, bool> check)
    {
        using var stop = new CancellationTokenSource(Pressure);
        var churn = Task.Run(() =>
        {
            using var f = ones(4);
            while (!stop.IsCancellationRequested)
            {
                for (int i = 0; i < 200; i++)
                {
                    f.mul_(0.5).add_(0.5, 2.5);
                }

                GC.Collect();
            }
        });
        int failures = 0;
        long steps = 0;
        while (!stop.IsCancellationRequested)
        {
            steps++;
            try
            {
                step();
                if (!check(steps))
                {
                    failures++;
                }
            }
            catch (ExternalException)
            {
                failures++;
            }
        }

        churn.Wait();
        return (failures, steps);
    }

    [Fact]
    public void Guarded_batch_norm_counts_every_training_batch_under_gc_pressure()
    {
        using var norm = nn.BatchNorm2d(2);
        BatchNormCounting.Guard(norm);
        norm.train();
        using var input = randn(2, 2, 2, 2);
        var (failures, steps) = UnderGcPressure(
            () =>
            {
                using var scope = NewDisposeScope();
                norm.call(input);
            },
            n =>
            {
                // Resynchronised after each check, so one miscount fails one step, not all that follow.
                bool ok = norm.num_batches_tracked!.item<long>() == n;
                norm.num_batches_tracked!.fill_(n);
                return ok;
            });
        output.WriteLine($"guarded BatchNorm2d: {failures} failures in {steps} training forwards");
        Assert.Equal(0, failures);
        Assert.True(steps > 10, $"only {steps} forwards ran");
    }

    /// <summary>The reproduction: counting with implicit Scalars miscounts or throws now and then under this pressure
    /// (a few dozen per million steps here; chance decides whether a given run hits, so it is reported, not asserted);
    /// counting with Scalars that stay rooted, as the guard does, never does.</summary>
    [Fact]
    public void Rooted_scalars_count_exactly_where_implicit_ones_race()
    {
        using var one = 1L.ToScalar();
        using var counter = tensor(0L);
        Func<long, bool> exact = n =>
        {
            bool ok = counter.item<long>() == n;
            counter.fill_(n);
            return ok;
        };
        var (implicitFailures, implicitSteps) = UnderGcPressure(() => counter.add_(1), exact);
        output.WriteLine($"implicit add_(1): {implicitFailures} failures in {implicitSteps} steps");
        counter.fill_(0L);
        var (rootedFailures, rootedSteps) = UnderGcPressure(() => counter.add_(one, one), exact);
        output.WriteLine($"rooted add_(one, one): {rootedFailures} failures in {rootedSteps} steps");
        Assert.Equal(0, rootedFailures);
        Assert.True(rootedSteps > 10, $"only {rootedSteps} steps ran");
    }

    [Fact]
    public void Guard_keeps_batch_norm_numerics_and_state()
    {
        using var plain = nn.BatchNorm2d(3);
        using var guarded = nn.BatchNorm2d(3);
        Assert.Equal(1, BatchNormCounting.Guard(guarded));
        Assert.Equal(0, BatchNormCounting.Guard(guarded));
        plain.train();
        guarded.train();
        for (int i = 0; i < 5; i++)
        {
            using var x = randn(4, 3, 5, 5);
            using var a = plain.call(x);
            using var b = guarded.call(x);
            Assert.True(a.equal(b).all().item<bool>());
        }

        Assert.True(plain.running_mean!.equal(guarded.running_mean!).all().item<bool>());
        Assert.True(plain.running_var!.equal(guarded.running_var!).all().item<bool>());
        Assert.Equal(5L, guarded.num_batches_tracked!.item<long>());
        Assert.Equal(plain.state_dict().Keys.Order(), guarded.state_dict().Keys.Order());

        // Evaluation mode neither counts nor touches the statistics.
        guarded.eval();
        using (var x = randn(4, 3, 5, 5))
        using (guarded.call(x))
        {
        }

        Assert.Equal(5L, guarded.num_batches_tracked!.item<long>());
    }
}
