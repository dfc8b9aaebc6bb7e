namespace PaddleX.Cloud.Api;

/// <summary>Settings of the HTTP layer, bound from the <c>Api</c> configuration section.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>When set, every request must carry it (header <c>X-Api-Key</c> or argument <c>api_key</c>).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Largest accepted request body, except routes that declare their own (uploads).</summary>
    public long MaxBodyBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Origins allowed by CORS. Empty: any origin is echoed back with credentials, as the
    /// original server does (local mode). The cloud configures its web origins here.</summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>The operator's weights catalog (the workers' <c>Training:WeightsCatalog</c>: an absolute folder or an
    /// artifact-store prefix), listed by the recommended parameters.</summary>
    public string? WeightsCatalog { get; set; }

    /// <summary>Folders outside the workspace that <c>PUT /dataset</c> may import from.</summary>
    public IList<string> ImportRoots { get; } = [];
}
