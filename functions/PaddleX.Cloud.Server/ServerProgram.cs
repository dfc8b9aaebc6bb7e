using PaddleX.Cloud.ServiceDefaults;

namespace PaddleX.Cloud.Server;

internal static class ServerProgram
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            return await ServerApp.Build(args).RunOrExplainAsync();
        }
        catch (ArgumentException bad)
        {
            await Console.Error.WriteLineAsync(bad.Message);
            return 2;
        }
    }
}
