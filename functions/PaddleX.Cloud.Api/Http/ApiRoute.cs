using Microsoft.AspNetCore.Http;

namespace PaddleX.Cloud.Api.Http;

/// <summary>Handles one method of one route. Returns the answer; throws <see cref="ApiException"/>
/// for failures the client can act on.</summary>
public delegate ValueTask<IResult> ApiHandler(ApiCall call);

/// <summary>Everything a handler gets: the bound arguments, the services, the raw request.</summary>
public sealed record ApiCall(ApiArgs Args, ApiServices Services, HttpContext Http)
{
    public CancellationToken Cancellation => Http.RequestAborted;

    /// <summary>A multipart body, read up to its first file part (which the handler streams).</summary>
    public MultipartForm? Multipart { get; init; }
}

/// <summary>One path of the API with its methods. <paramref name="Name"/> is the Azure Function name.</summary>
public sealed record ApiRoute(string Path, string Name, IReadOnlyDictionary<string, ApiHandler> Methods, long? MaxBodyBytes = null)
{
    public IEnumerable<string> AllowedMethods => Methods.Keys.Order(StringComparer.Ordinal);
}
