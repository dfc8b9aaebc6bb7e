using Microsoft.AspNetCore.Builder;

namespace PaddleX.Cloud.Server;

internal static class ServerProgram
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            await ServerApp.Build(args).RunAsync();
            return 0;
        }
        catch (ArgumentException bad)
        {
            await Console.Error.WriteLineAsync(bad.Message);
            return 2;
        }
    }
}
