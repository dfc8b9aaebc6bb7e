namespace PaddleX.Cloud.Api;

/// <summary>Settings of the HTTP layer, bound from the <c>Api</c> configuration section.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>Entry of <see cref="AllowedOrigins"/> that allows every origin.</summary>
    public const string AnyOrigin = "*";

    /// <summary>When set, every request must carry it (header <c>X-Api-Key</c> or argument <c>api_key</c>).</summary>
    public string? ApiKey { get; set; }

    /// <summary>The Functions app refuses to start without <see cref="ApiKey"/> unless this is true
    /// (something in front of it, such as Entra ID through App Service authentication, checks callers).</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>Largest accepted request body, except routes that declare their own (uploads).</summary>
    public long MaxBodyBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Origins (<c>https://host[:port]</c>) a browser may call the API from, with credentials.
    /// <c>*</c> echoes any origin, as the original server does: the local server's default. Empty: no
    /// cross-origin calls, the Functions app's default (the deployment lists its web origins).</summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>Message of a refused <see cref="AllowedOrigins"/>.</summary>
    public const string OriginsRule = "Api:AllowedOrigins must hold '*' or origins such as https://app.example.com (scheme, host, optional port; no path).";

    /// <summary>Every entry of <see cref="AllowedOrigins"/> is <c>*</c> or an origin.</summary>
    public bool OriginsAreValid() => AllowedOrigins.All(o => o == AnyOrigin || IsOrigin(o));

    /// <summary>Whether a browser page at <paramref name="origin"/> may call the API.</summary>
    public bool Allows(string origin) =>
        AllowedOrigins.Any(o => o == AnyOrigin || string.Equals(o.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase));

    private static bool IsOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
        && value.TrimEnd('/').Equals(uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);

    /// <summary>The operator's weights catalog (the workers' <c>Training:WeightsCatalog</c>: an absolute folder or an
    /// artifact-store prefix), listed by the recommended parameters.</summary>
    public string? WeightsCatalog { get; set; }

    /// <summary>Folders outside the workspace that <c>PUT /dataset</c> may import from.</summary>
    public IList<string> ImportRoots { get; } = [];
}
