using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PaddleX.Cloud.Api.Tests.Infrastructure;
using PaddleX.Cloud.Functions;
using static PaddleX.Cloud.Api.Tests.FunctionsAppTests;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>The Functions app as deployed (its own service registration, the functions called as the
/// host calls them): callers are checked by the API key, not by function keys; CORS preflights reach
/// the dispatcher and only the listed origins are allowed.</summary>
public sealed class FunctionsAuthAndCorsTests
{
    private const string Key = "k3y-0123456789abcdef";
    private const string WebOrigin = "https://paddlex.example.com";

    private static ServiceProvider App(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return new ServiceCollection().AddLogging().AddPaddleXFunctions(configuration, TempFolder.Create("functions")).BuildServiceProvider();
    }

    [Fact]
    public void Without_an_api_key_the_app_refuses_to_start_unless_callers_are_checked_in_front()
    {
        using (var open = App())
        {
            var refused = Assert.Throws<OptionsValidationException>(open.GetRequiredService<IStartupValidator>().Validate);
            Assert.Contains("Api:ApiKey", refused.Message, StringComparison.Ordinal);
        }

        using (var keyed = App(("Api:ApiKey", Key)))
        {
            keyed.GetRequiredService<IStartupValidator>().Validate();
        }

        using var fronted = App(("Api:AllowAnonymous", "true"));
        fronted.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public async Task The_api_key_is_what_admits_a_caller_as_header_query_or_json_body()
    {
        await using var app = App(("Api:ApiKey", Key));
        var functions = ActivatorUtilities.CreateInstance<ApiFunctions>(app);

        var (status, body, _) = await InvokeAsync(app, functions.Workspace, "GET", null);
        Assert.Equal(401, status);
        Assert.Equal("unauthorized", body["code"]!.GetValue<string>());
        (status, _, _) = await InvokeAsync(app, functions.Workspace, "GET", null, "?code=" + Key); // a function key means nothing here
        Assert.Equal(401, status);

        (status, body, _) = await InvokeAsync(app, functions.Workspace, "GET", null, "", ("X-Api-Key", Key));
        Assert.Equal(200, status);
        Assert.Equal(1, body["status"]!.GetValue<int>());
        (status, _, _) = await InvokeAsync(app, functions.System, "GET", null, $"?type=machine_info&api_key={Key}");
        Assert.Equal(200, status);
        (status, body, _) = await InvokeAsync(app, functions.Dataset, "POST", $"{{\"api_key\":\"{Key}\",\"name\":\"云\",\"dataset_type\":\"classification\"}}");
        Assert.Equal(200, status);
        Assert.Equal("D0001", body["did"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_preflight_from_a_listed_origin_is_answered_and_others_are_refused()
    {
        await using var app = App(("Api:ApiKey", Key), ("Api:AllowedOrigins:0", WebOrigin));
        var functions = ActivatorUtilities.CreateInstance<ApiFunctions>(app);

        // No credentials on a preflight: it is answered before the key check.
        var (status, _, headers) = await InvokeAsync(app, functions.Dataset, "OPTIONS", null, "",
            ("Origin", WebOrigin), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "content-type,x-api-key"));
        Assert.Equal(204, status);
        Assert.Equal(WebOrigin, headers.AccessControlAllowOrigin.ToString());
        Assert.Equal("true", headers.AccessControlAllowCredentials.ToString());
        Assert.Contains("POST", headers.AccessControlAllowMethods.ToString(), StringComparison.Ordinal);
        Assert.Equal("content-type,x-api-key", headers.AccessControlAllowHeaders.ToString());

        (status, _, headers) = await InvokeAsync(app, functions.Workspace, "GET", null, "", ("Origin", WebOrigin), ("X-Api-Key", Key));
        Assert.Equal(200, status);
        Assert.Equal(WebOrigin, headers.AccessControlAllowOrigin.ToString());

        (status, _, headers) = await InvokeAsync(app, functions.Dataset, "OPTIONS", null, "",
            ("Origin", "https://evil.example.net"), ("Access-Control-Request-Method", "POST"));
        Assert.Equal(403, status);
        Assert.Empty(headers.AccessControlAllowOrigin.ToString());
    }

    [Fact]
    public async Task With_no_origins_listed_the_cloud_allows_no_cross_origin_call()
    {
        await using var app = App(("Api:ApiKey", Key));
        var functions = ActivatorUtilities.CreateInstance<ApiFunctions>(app);
        var (status, _, headers) = await InvokeAsync(app, functions.Workspace, "GET", null, "", ("Origin", "http://localhost:5500"), ("X-Api-Key", Key));
        Assert.Equal(403, status);
        Assert.Empty(headers.AccessControlAllowOrigin.ToString());

        // The API's own pages (the training dashboard) still call back to it.
        (status, _, _) = await InvokeAsync(app, functions.Workspace, "GET", null, "", ("Origin", "https://func-api.azurewebsites.net"), ("X-Api-Key", Key));
        Assert.Equal(200, status);
    }

    [Fact]
    public void An_origin_with_a_path_is_refused_at_start()
    {
        using var app = App(("Api:ApiKey", Key), ("Api:AllowedOrigins:0", "https://paddlex.example.com/app"));
        var refused = Assert.Throws<OptionsValidationException>(app.GetRequiredService<IStartupValidator>().Validate);
        Assert.Contains("Api:AllowedOrigins", refused.Message, StringComparison.Ordinal);
    }
}
