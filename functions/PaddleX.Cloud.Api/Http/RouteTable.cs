using PaddleX.Cloud.Api.Endpoints;

namespace PaddleX.Cloud.Api.Http;

/// <summary>THE list of paths, methods and handlers. Every host serves exactly this table: the
/// Kestrel server routes through <see cref="Find"/>, the Functions app has one function per entry.</summary>
public static class RouteTable
{
    public static IReadOnlyList<ApiRoute> Routes { get; } = Build();

    private static readonly Dictionary<string, ApiRoute> ByPath = Routes.ToDictionary(r => r.Path, StringComparer.Ordinal);

    /// <summary>The route for a request path; a trailing slash is ignored.</summary>
    public static ApiRoute? Find(string path)
    {
        var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        return ByPath.GetValueOrDefault(trimmed);
    }

    private static List<ApiRoute> Build()
    {
        var builder = new RouteTableBuilder();
        WorkspaceApi.Map(builder);
        SystemApi.Map(builder);
        DatasetApi.Map(builder);
        ProjectApi.Map(builder);
        TaskApi.Map(builder);
        TaskParamsApi.Map(builder);
        TrainApi.Map(builder);
        MetricsApi.Map(builder);
        EvaluateApi.Map(builder);
        PredictApi.Map(builder);
        ExportApi.Map(builder);
        VdlApi.Map(builder);
        ModelApi.Map(builder);
        FileApi.Map(builder);
        return builder.Build();
    }
}

/// <summary>Collects routes; each endpoint group adds its own.</summary>
public sealed class RouteTableBuilder
{
    private readonly List<(string Path, string Name, Dictionary<string, ApiHandler> Methods, long? MaxBody)> routes = [];

    /// <summary>Adds a route. <paramref name="name"/> becomes the Azure Function's name.</summary>
    public RouteTableBuilder Route(string path, string name, Action<MethodMap> methods, long? maxBodyBytes = null)
    {
        var map = new MethodMap();
        methods(map);
        routes.Add((path, name, map.Handlers, maxBodyBytes));
        return this;
    }

    internal List<ApiRoute> Build() =>
        routes.Select(r => new ApiRoute(r.Path, r.Name, r.Methods, r.MaxBody)).ToList();

    public sealed class MethodMap
    {
        internal Dictionary<string, ApiHandler> Handlers { get; } = new(StringComparer.Ordinal);

        public MethodMap Get(ApiHandler handler) => Add("GET", handler);

        public MethodMap Post(ApiHandler handler) => Add("POST", handler);

        public MethodMap Put(ApiHandler handler) => Add("PUT", handler);

        public MethodMap Delete(ApiHandler handler) => Add("DELETE", handler);

        private MethodMap Add(string method, ApiHandler handler)
        {
            Handlers.Add(method, handler);
            return this;
        }
    }
}
