namespace PaddleX.Cloud.Testing;

/// <summary>Waiting for something a background job or another process does.</summary>
public static class Polling
{
    /// <summary>Evaluates <paramref name="condition"/> until it holds; throws <see cref="TimeoutException"/> (which fails
    /// the test with <paramref name="what"/>) when it still does not after <paramref name="within"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan within, TimeSpan? every = null, string what = "condition")
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"{what} not met within {within}");
            }

            await Task.Delay(every ?? TimeSpan.FromMilliseconds(100));
        }
    }

    /// <inheritdoc cref="WaitUntilAsync(Func{Task{bool}}, TimeSpan, TimeSpan?, string)"/>
    public static Task WaitUntilAsync(Func<bool> condition, TimeSpan within, TimeSpan? every = null, string what = "condition") =>
        WaitUntilAsync(() => Task.FromResult(condition()), within, every, what);
}
