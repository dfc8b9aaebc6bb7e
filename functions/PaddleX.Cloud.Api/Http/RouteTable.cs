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
        PruneApi.Map(builder);
        MetricsApi.Map(builder);
        EvaluateApi.Map(builder);
        PredictApi.Map(builder);
        ExportApi.Map(builder);
        VdlApi.Map(builder);
        ModelApi.Map(builder);
        FileApi.Map(builder);
        DemoApi.Map(builder);
        return builder.Build();
    }
}

/// <summary>Collects routes; each endpoint group adds its own, with the summary and arguments of
/// each method (they become the OpenAPI document).</summary>
public sealed class RouteTableBuilder
{
    private readonly List<(string Path, string Name, MethodMap Methods, long? MaxBody)> routes = [];

    /// <summary>Adds a route. <paramref name="name"/> becomes the Azure Function's name.</summary>
    public RouteTableBuilder Route(string path, string name, Action<MethodMap> methods, long? maxBodyBytes = null)
    {
        var map = new MethodMap();
        methods(map);
        routes.Add((path, name, map, maxBodyBytes));
        return this;
    }

    internal List<ApiRoute> Build() =>
        routes.Select(r => new ApiRoute(r.Path, r.Name, r.Methods.Handlers, r.MaxBody) { Operations = r.Methods.Operations }).ToList();

    public sealed class MethodMap
    {
        internal Dictionary<string, ApiHandler> Handlers { get; } = new(StringComparer.Ordinal);

        internal Dictionary<string, ApiOperation> Operations { get; } = new(StringComparer.Ordinal);

        // Without a summary a route still works, but the OpenAPI test fails until it is documented:
        // branches that add routes keep compiling when merged.
        public MethodMap Get(ApiHandler handler) => Add("GET", handler, string.Empty, []);

        public MethodMap Post(ApiHandler handler) => Add("POST", handler, string.Empty, []);

        public MethodMap Put(ApiHandler handler) => Add("PUT", handler, string.Empty, []);

        public MethodMap Delete(ApiHandler handler) => Add("DELETE", handler, string.Empty, []);

        /// <param name="args">Each <c>name:type</c>; <c>name?</c> when optional; <c>type</c> one of
        /// string, integer, number, boolean, array, object, file; <c>=a|b</c> after the type lists the values.</param>
        public MethodMap Get(ApiHandler handler, string summary, params string[] args) => Add("GET", handler, summary, args);

        public MethodMap Post(ApiHandler handler, string summary, params string[] args) => Add("POST", handler, summary, args);

        public MethodMap Put(ApiHandler handler, string summary, params string[] args) => Add("PUT", handler, summary, args);

        public MethodMap Delete(ApiHandler handler, string summary, params string[] args) => Add("DELETE", handler, summary, args);

        private MethodMap Add(string method, ApiHandler handler, string summary, string[] args)
        {
            Handlers.Add(method, handler);
            Operations.Add(method, new ApiOperation(summary, args.Select(ApiArgument.Parse).ToList()));
            return this;
        }
    }
}
