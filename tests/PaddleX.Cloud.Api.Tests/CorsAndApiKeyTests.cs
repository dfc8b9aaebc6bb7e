using System.Net;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

public class CorsTests : ServerTestBase
{
    [Fact]
    public async Task Any_origin_is_echoed_with_credentials_and_preflights_are_answered()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/workspace");
        preflight.Headers.Add("Origin", "http://localhost:5500");
        preflight.Headers.Add("Access-Control-Request-Method", "PUT");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var answer = await Api.Http.SendAsync(preflight);
        Assert.True(answer.IsSuccessStatusCode);
        Assert.Equal("http://localhost:5500", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", answer.Headers.GetValues("Access-Control-Allow-Credentials").Single());
        Assert.Contains("PUT", answer.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Equal("content-type", answer.Headers.GetValues("Access-Control-Allow-Headers").Single());

        using var get = new HttpRequestMessage(HttpMethod.Get, "/workspace");
        get.Headers.Add("Origin", "null");
        using var reply = await Api.Http.SendAsync(get);
        Assert.Equal("null", reply.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }
}

public class ApiKeyTests : ServerTestBase
{
    protected override string[] ServerArgs => ["--api_key", "s3cret"];

    [Fact]
    public async Task Requests_without_the_key_are_401_and_change_nothing()
    {
        var before = await WorkspaceStateAsync();
        var (status, reply) = await Api.SendAsync(HttpMethod.Post, "/dataset", "{\"name\":\"a\",\"dataset_type\":\"classification\"}");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Expect.Error(reply, "unauthorized");
        (status, _) = await Api.SendAsync(HttpMethod.Get, "/workspace?api_key=wrong", null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(before, await WorkspaceStateAsync());
        Assert.Empty(await Metadata.Datasets.ListAsync());
        if (!Azure)
        {
            Assert.False(File.Exists(Path.Combine(Server.Workspace, "workspace.newest.pb")));
        }
    }

    [Fact]
    public async Task The_key_works_as_header_query_or_body()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/workspace");
        request.Headers.Add("X-Api-Key", "s3cret");
        var (status, _) = await Api.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, status);
        Expect.Ok(await Api.GetQueryAsync("/dataset?api_key=s3cret"));
        var created = Expect.Ok(await Api.PostAsync("/dataset", new { api_key = "s3cret", name = "a", dataset_type = "classification" }));
        Assert.Equal("D0001", created["did"]!.GetValue<string>());
    }
}

public sealed class CorsAzureTests : CorsTests
{
    protected override bool Azure => true;
}

public sealed class ApiKeyAzureTests : ApiKeyTests
{
    protected override bool Azure => true;
}
