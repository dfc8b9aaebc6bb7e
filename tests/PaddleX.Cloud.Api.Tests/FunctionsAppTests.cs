using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Tests.Infrastructure;
using PaddleX.Cloud.Functions;
using PaddleX.Cloud.Storage;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>The Functions host cannot run here, so its functions are checked against the route table
/// and executed directly over a <see cref="DefaultHttpContext"/>.</summary>
public sealed class FunctionsAppTests
{
    private static IEnumerable<(string Name, string Route, string[] Methods, AuthorizationLevel Level)> Functions() =>
        typeof(ApiFunctions).GetMethods()
            .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>()))
            .Where(x => x.Function is not null)
            .Select(x =>
            {
                var trigger = x.Method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).Single(t => t is not null)!;
                return (x.Function!.Name, trigger.Route!, trigger.Methods!.Select(m => m.ToUpperInvariant()).Order(StringComparer.Ordinal).ToArray(), trigger.AuthLevel);
            });

    [Fact]
    public void Every_route_has_a_function_with_its_methods_and_cors_preflights_and_vice_versa()
    {
        var functions = Functions().ToDictionary(f => "/" + f.Route, StringComparer.Ordinal);
        var routes = RouteTable.Routes.ToDictionary(r => r.Path, StringComparer.Ordinal);
        Assert.Equal(routes.Keys.Order(StringComparer.Ordinal), functions.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, route) in routes)
        {
            Assert.Equal(route.AllowedMethods.Append("OPTIONS").Order(StringComparer.Ordinal), functions[path].Methods);
            Assert.Equal(route.Name, functions[path].Name);
        }
    }

    [Fact]
    public void Functions_ask_for_no_function_key_so_PaddleX_clients_reach_the_api_key_check()
    {
        Assert.All(Functions(), f => Assert.Equal(AuthorizationLevel.Anonymous, f.Level));
    }

    [Fact]
    public void Host_json_keeps_the_original_paths_at_the_root()
    {
        var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")))!;
        Assert.Equal(string.Empty, hostJson["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
    }

    [Fact]
    public async Task Functions_execute_the_shared_handlers()
    {
        var workspace = TempFolder.Create("functions");
        var services = new ServiceCollection()
            .AddLogging()
            .AddLocalBackends(workspace)
            .AddPaddleXApi(new ConfigurationBuilder().Build())
            .BuildServiceProvider();
        var functions = new ApiFunctions(services.GetRequiredService<ApiDispatcher>());

        var created = await InvokeAsync(services, functions.Dataset, "POST", "{\"name\":\"函数\",\"dataset_type\":\"segmentation\"}");
        Assert.Equal(200, created.Status);
        Assert.Equal("D0001", created.Body["did"]!.GetValue<string>());

        var listed = await InvokeAsync(services, functions.Dataset, "GET", null, "?did=D0001");
        Assert.Equal("函数", listed.Body["attr"]!["name"]!.GetValue<string>());

        var wrongMethod = await InvokeAsync(services, functions.File, "POST", "{}");
        Assert.Equal(405, wrongMethod.Status);

        var bad = await InvokeAsync(services, functions.Project, "POST", "{oops");
        Assert.Equal(400, bad.Status);
        Assert.Equal("malformed_json", bad.Body["code"]!.GetValue<string>());
    }

    /// <summary>Runs a function over a fresh <see cref="DefaultHttpContext"/> and executes its result.
    /// The body is null when the answer has none (a preflight).</summary>
    internal static async Task<(int Status, JsonObject Body, IHeaderDictionary Headers)> InvokeAsync(
        IServiceProvider services, Func<HttpRequest, Task<IResult>> function, string method, string? body, string query = "", params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = method;
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("func-api.azurewebsites.net");
        context.Request.QueryString = new QueryString(query);
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        if (body is not null)
        {
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
            context.Request.ContentType = "application/json";
        }

        var output = new MemoryStream();
        context.Response.Body = output;
        var result = await function(context.Request);
        await result.ExecuteAsync(context);
        var text = Encoding.UTF8.GetString(output.ToArray());
        return (context.Response.StatusCode, text.Length == 0 ? null! : JsonNode.Parse(text)!.AsObject(), context.Response.Headers);
    }
}
