namespace PaddleX.Cloud.Worker.Hosting;

internal static class PeriodicTimerExtensions
{
    /// <summary>Waits for the next tick; false once the host is stopping (instead of throwing).</summary>
    public static async Task<bool> NextTickOrStopAsync(this PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
