using System.Diagnostics;
using static TorchSharp.torch;

/// <summary>The timing every throughput mode shares: <c>warmup</c> untimed steps, then <c>steps</c> timed ones, each
/// in its own dispose scope.</summary>
internal static class StepTimer
{
    public static double ImagesPerSecond(int warmup, int steps, int batch, Action step) => Measure(warmup, steps, batch, step).ImagesPerSecond;

    /// <returns>images per wall second, and the process's CPU seconds per timed step (all its threads).</returns>
    public static (double ImagesPerSecond, double CpuSecondsPerStep) Measure(int warmup, int steps, int batch, Action step)
    {
        var watch = new Stopwatch();
        var process = Process.GetCurrentProcess();
        TimeSpan cpu = TimeSpan.Zero;
        for (int i = 0; i < warmup + steps; i++)
        {
            if (i == warmup)
            {
                process.Refresh();
                cpu = process.TotalProcessorTime;
                watch.Start();
            }

            using var scope = NewDisposeScope();
            step();
        }

        watch.Stop();
        process.Refresh();
        return (steps * batch / watch.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalSeconds / steps);
    }
}
