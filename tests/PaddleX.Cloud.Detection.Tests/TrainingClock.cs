using System.Diagnostics;

namespace PaddleX.Cloud.Detection.Tests;

/// <summary>Wall and CPU seconds of a training run. The time budgets of the learning tests are in CPU seconds of the
/// test process: on a shared CI machine the wall time depends on the other jobs, the CPU time far less.</summary>
internal static class TrainingClock
{
    public static (T Result, double WallSeconds, double CpuSeconds) Measure<T>(Func<T> run)
    {
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        T result = run();
        return (result, wall.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }
}
