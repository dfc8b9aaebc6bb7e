using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PaddleX.Cloud.ServiceDefaults;

public static class HostStartExtensions
{
    /// <summary>Exit code of a host whose configuration was refused at start.</summary>
    public const int BadConfiguration = 2;

    /// <summary>Runs the host until it stops (exit code 0). Settings refused when it starts (options
    /// validated on start) are written to stderr as plain sentences, without a stack trace, and give
    /// <see cref="BadConfiguration"/>.</summary>
    public static async Task<int> RunOrExplainAsync(this IHost host)
    {
        try
        {
            // Checked before the host starts, so a refusal is not also logged as a failed start with a stack trace.
            host.Services.GetService<IStartupValidator>()?.Validate();
            await host.RunAsync();
            return 0;
        }
        catch (OptionsValidationException refused)
        {
            foreach (var failure in refused.Failures)
            {
                await Console.Error.WriteLineAsync(failure);
            }

            return BadConfiguration;
        }
    }
}
