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

    /// <summary>What each method does and takes, by method.</summary>
    public IReadOnlyDictionary<string, ApiOperation> Operations { get; init; } = new Dictionary<string, ApiOperation>();
}

/// <summary>The documentation of one method of a route.</summary>
public sealed record ApiOperation(string Summary, IReadOnlyList<ApiArgument> Arguments);

/// <summary>One argument: name, JSON type (or <c>file</c> for a multipart upload), whether it is
/// required, and its allowed values when it has a fixed set.</summary>
public sealed record ApiArgument(string Name, string Type, bool Required, IReadOnlyList<string> Values)
{
    private static readonly HashSet<string> Types = new(StringComparer.Ordinal) { "string", "integer", "number", "boolean", "array", "object", "file" };

    /// <summary>Parses <c>name:type</c>, <c>name?:type</c>, <c>name:type=a|b</c>.</summary>
    public static ApiArgument Parse(string spec)
    {
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        var name = colon > 0 ? spec[..colon] : throw new ArgumentException($"argument '{spec}' needs name:type", nameof(spec));
        var type = spec[(colon + 1)..];
        IReadOnlyList<string> values = [];
        var equals = type.IndexOf('=', StringComparison.Ordinal);
        if (equals > 0)
        {
            values = type[(equals + 1)..].Split('|');
            type = type[..equals];
        }

        var optional = name.EndsWith('?');
        return Types.Contains(type)
            ? new ApiArgument(optional ? name[..^1] : name, type, !optional, values)
            : throw new ArgumentException($"argument '{spec}' has unknown type '{type}'", nameof(spec));
    }
}
