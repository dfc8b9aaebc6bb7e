using Microsoft.AspNetCore.Http.Features;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PaddleX.Cloud.Api;
using PaddleX.Cloud.Azure;

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
        builder.Services.AddConfiguredBackends(builder.Configuration, workspace);
        builder.Services.AddPaddleXApi(builder.Configuration);
        builder.Services.Configure<FormOptions>(f => f.MultipartBodyLengthLimit = Datasets.DatasetOptions.MaxUploadBytes);
        await builder.Build().RunAsync();
    }
}
