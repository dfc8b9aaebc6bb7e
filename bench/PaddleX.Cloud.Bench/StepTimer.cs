using System.Diagnostics;
using static TorchSharp.torch;

/// <summary>The timing every throughput mode shares: <c>warmup</c> untimed steps, then <c>steps</c> timed ones, each
/// in its own dispose scope.</summary>
internal static class StepTimer
{
    public static double ImagesPerSecond(int warmup, int steps, int batch, Action step)
    {
        var watch = new Stopwatch();
        for (int i = 0; i < warmup + steps; i++)
        {
            if (i == warmup)
            {
                watch.Start();
            }

            using var scope = NewDisposeScope();
            step();
        }

        watch.Stop();
        return steps * batch / watch.Elapsed.TotalSeconds;
    }
}
