using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PaddleX.Cloud.Api.Site;

namespace PaddleX.Cloud.Functions;

/// <summary>The web console, the API reference and the OpenAPI document, from the same Functions
/// app as the API (same origin: no CORS set-up, the console's calls go to its own host). One
/// anonymous function: the files are public; the API functions keep their own authorization.
/// Literal API routes take precedence over this catch-all.</summary>
public sealed class SiteFunctions
{
    [Function("Site")]
    public static IResult Site([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "{*asset}")] HttpRequest request) =>
        StaticSite.Serve(request.HttpContext);
}
