using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

namespace PaddleX.Cloud.Functions;

/// <summary>The Azure Functions host: thin functions over the API's handlers. <c>Backend</c> = <c>azure</c>
/// uses Cosmos DB, Blob Storage and Service Bus / Storage Queue (see AddAzureBackends).</summary>
internal static class FunctionsProgram
{
    public static async Task Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        var workspace = builder.Configuration["Workspace"] ?? Path.Combine(Path.GetTempPath(), "paddlex_workspace");
        builder.Services.AddPaddleXFunctions(builder.Configuration, workspace);
        await builder.Build().RunAsync();
    }
}
