using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>The web console, the API reference and the OpenAPI document on the real server. The
/// whole console flow runs in Debian's Chromium through playwright-core (tests/tools, installed by
/// tests/tools/install.sh); its screenshots are kept under the test output's
/// <c>artifacts/console</c> folder (or <c>$PADDLEX_TEST_ARTIFACTS/console</c>).</summary>
public sealed partial class ConsoleTests : ServerTestBase
{
    [Fact]
    public async Task The_openapi_document_lists_every_route_of_the_table_and_validates()
    {
        using var response = await Api.Http.GetAsync(new Uri("/openapi.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var document = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("3.1.0", document["openapi"]!.GetValue<string>());
        var paths = document["paths"]!.AsObject();
        Assert.Equal(RouteTable.Routes.Select(r => r.Path).Order(StringComparer.Ordinal), paths.Select(p => p.Key).Order(StringComparer.Ordinal));
        foreach (var route in RouteTable.Routes)
        {
            var methods = paths[route.Path]!.AsObject().Select(m => m.Key.ToUpperInvariant()).Order(StringComparer.Ordinal);
            Assert.Equal(route.AllowedMethods, methods);
            foreach (var method in route.AllowedMethods)
            {
                Assert.False(string.IsNullOrWhiteSpace(paths[route.Path]![method.ToLowerInvariant()]!["summary"]?.GetValue<string>()), $"{method} {route.Path} has no summary");
            }
        }

        var file = Path.Combine(TempFolder.Create("openapi"), "openapi.json");
        await File.WriteAllTextAsync(file, text);
        var (code, output) = await NodeAsync("validate-openapi.mjs", file);
        Assert.True(code == 0, $"the OpenAPI document does not validate: {output}");
        Assert.Contains("\"valid\":true", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_api_call_of_the_console_is_in_the_openapi_document()
    {
        var document = JsonNode.Parse(await Api.Http.GetStringAsync(new Uri("/openapi.json", UriKind.Relative)))!;
        var calls = new List<(string Method, string Path, string File)>();
        var optional = new List<string>();
        foreach (var script in new[] { "console.js", "api.js", "dom.js", "charts.js", "docs.js" })
        {
            var source = await Api.Http.GetStringAsync(new Uri("/console/" + script, UriKind.Relative));
            foreach (Match call in ApiCall().Matches(source))
            {
                var method = call.Groups[1].Value switch { "del" => "delete", "href" => "get", "upload" => "post", var m => m };
                calls.Add((method, call.Groups[2].Value, script));
            }

            if (OptionalPaths().Match(source) is { Success: true } declared)
            {
                optional.AddRange(Regex.Matches(declared.Groups[1].Value, "\"([^\"]+)\"").Select(m => m.Groups[1].Value));
            }
        }

        Assert.True(calls.Count >= 30, $"only {calls.Count} calls found: the extraction pattern no longer matches the console's code");
        foreach (var (method, path, script) in calls.Distinct())
        {
            if (optional.Contains(path))
            {
                continue; // shown only when the document lists it
            }

            Assert.True(document["paths"]?[path]?[method] is not null, $"{script} calls {method.ToUpperInvariant()} {path}, which the OpenAPI document does not list");
        }

        foreach (var path in optional)
        {
            Assert.True(document["paths"]?[path] is null || calls.Any(c => c.Path == path), $"{path} is optional in the console but the server offers it");
        }
    }

    [Fact]
    public async Task The_console_loads_a_demo_trains_evaluates_predicts_and_exports_in_chromium()
    {
        var artifacts = ArtifactsFolder();
        foreach (var old in Directory.GetFiles(artifacts, "*.png").Where(f => !Path.GetFileName(f).StartsWith("api-key", StringComparison.Ordinal)))
        {
            File.Delete(old);
        }

        var picture = Path.Combine(TempFolder.Create("predict"), "square.jpg");
        var demo = Datasets.Demo.DemoCatalog.Find("classification")!;
        var generated = TempFolder.Create("demo-picture");
        Datasets.Demo.DemoDatasetGenerator.Generate(demo, generated, null, CancellationToken.None);
        File.Copy(Directory.GetFiles(Path.Combine(generated, "square"))[0], picture);

        var (code, output) = await NodeAsync("console-flow.mjs", $"http://127.0.0.1:{Server.Port}", artifacts, picture);
        Assert.True(code == 0, $"console flow failed (screenshots in {artifacts}): {output}");
        var summary = JsonNode.Parse(output.Split('\n').Last(l => l.StartsWith("{\"ok\"", StringComparison.Ordinal)))!;
        Assert.True(summary["ok"]!.GetValue<bool>(), output);
        Assert.Empty(summary["errors"]!.AsArray());
        foreach (var shot in new[] { "0-docs", "1-demos", "2-dataset", "3-trained", "4-evaluated-predicted-exported" })
        {
            var file = Path.Combine(artifacts, shot + ".png");
            Assert.True(File.Exists(file) && new FileInfo(file).Length > 10_000, $"screenshot {shot} is missing or empty");
        }
    }

    [Fact]
    public async Task The_site_is_served_without_the_api_key_while_the_api_asks_for_it()
    {
        await using var keyed = await TestServer.StartAsync(null, "--api_key", "s3cret");
        foreach (var path in new[] { "/", "/docs", "/openapi.json", "/console/console.js", "/console/console.css" })
        {
            using var response = await keyed.Client.Http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }

        var (status, body) = await keyed.Client.SendAsync(HttpMethod.Get, "/dataset", null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Expect.Error(body, "unauthorized");
        var (missing, notFound) = await keyed.Client.SendAsync(HttpMethod.Get, "/console/missing.js", null);
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Expect.Error(notFound, "route_not_found");

        // In the browser (phone width, keyboard only): the console asks for the key and then works.
        var (code, output) = await NodeAsync("console-key.mjs", $"http://127.0.0.1:{keyed.Port}", "s3cret", ArtifactsFolder());
        Assert.True(code == 0, $"API key flow failed: {output}");
        var created = await keyed.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/dataset?did=D0001") { Headers = { { "X-Api-Key", "s3cret" } } });
        Assert.Equal("keyed", created.Body["attr"]!["name"]!.GetValue<string>());
    }

    private static string ArtifactsFolder()
    {
        var folder = Path.Combine(Environment.GetEnvironmentVariable("PADDLEX_TEST_ARTIFACTS") ?? Path.Combine(AppContext.BaseDirectory, "artifacts"), "console");
        Directory.CreateDirectory(folder);
        return folder;
    }

    [Fact]
    public async Task The_functions_app_serves_the_site_from_one_anonymous_function()
    {
        var function = typeof(Functions.SiteFunctions).GetMethod(nameof(Functions.SiteFunctions.Site))!;
        var trigger = function.GetParameters()[0].GetCustomAttributes(typeof(Microsoft.Azure.Functions.Worker.HttpTriggerAttribute), false).Cast<Microsoft.Azure.Functions.Worker.HttpTriggerAttribute>().Single();
        Assert.Equal(Microsoft.Azure.Functions.Worker.AuthorizationLevel.Anonymous, trigger.AuthLevel);
        foreach (var (path, status, type) in new[] { ("/", 200, "text/html"), ("/openapi.json", 200, "application/json"), ("/console/console.js", 200, "text/javascript"), ("/nope", 404, "application/json") })
        {
            var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
            context.Request.Method = "GET";
            context.Request.Path = path;
            context.Response.Body = new MemoryStream();
            context.RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider();
            await Functions.SiteFunctions.Site(context.Request).ExecuteAsync(context);
            Assert.Equal(status, context.Response.StatusCode);
            Assert.StartsWith(type, context.Response.ContentType, StringComparison.Ordinal);
        }
    }

    private static async Task<(int Code, string Output)> NodeAsync(string script, params string[] args)
    {
        var tools = Path.Combine(Repository.Root, "tests", "tools");
        Assert.True(File.Exists(Path.Combine(tools, "node_modules", "playwright-core", "package.json")), "run tests/tools/install.sh first (npm packages of tests/tools)");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = tools };
        info.ArgumentList.Add(Path.Combine(tools, "console", script));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        // A guard against a hang, not a performance limit: the flow normally takes a minute or two.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"{script} did not finish in 8 minutes: {await output}{await errors}");
        }

        return (process.ExitCode, await output + await errors);
    }


    [GeneratedRegex(@"api\.(get|post|put|del|href|upload)\(\s*""(/[^""]*)""")]
    private static partial Regex ApiCall();

    [GeneratedRegex(@"export const OPTIONAL = \[([^\]]*)\]")]
    private static partial Regex OptionalPaths();
}
