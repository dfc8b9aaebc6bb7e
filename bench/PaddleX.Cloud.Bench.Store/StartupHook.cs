#pragma warning disable CA1050 // the runtime looks for a type named StartupHook outside any namespace

/// <summary>Loaded into the server under test by <c>DOTNET_STARTUP_HOOKS</c> (the script sets it and
/// <c>PXBENCH_STATS</c>): records the server's garbage collections, allocations, thread pool and list
/// bodies from inside its process (<see cref="PaddleX.Cloud.Bench.Store.RuntimeStats"/>), so the
/// server needs no diagnostics route. Works with any version of the server.</summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable(PaddleX.Cloud.Bench.Store.RuntimeStats.FileVariable) is { Length: > 0 } path)
        {
            PaddleX.Cloud.Bench.Store.RuntimeStats.Start(path);
        }
    }
}
