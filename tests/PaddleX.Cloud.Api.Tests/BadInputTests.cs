using System.Net;
using System.Text;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>Bad input gets the JSON error shape, never a 500 or a changed workspace.</summary>
public class BadInputTests : ServerTestBase
{
    public static TheoryData<string, string, int, string> ProtocolFailures() => new()
    {
        { "POST", "{\"name\": \"x\", ", 400, "malformed_json" },
        { "POST", "[1, 2, 3]", 400, "invalid_body" },
        { "POST", "\"text\"", 400, "invalid_body" },
        { "POST", "42", 400, "invalid_body" },
        { "DELETE", "{\"did\": \"D0001\"", 400, "malformed_json" },
    };

    [Theory]
    [MemberData(nameof(ProtocolFailures))]
    public async Task Malformed_bodies_get_4xx_with_the_json_shape(string method, string body, int status, string code)
    {
        await CreateDatasetAsync();
        var before = await WorkspaceStateAsync();
        var (httpStatus, reply) = await Api.SendAsync(new HttpMethod(method), "/dataset", body);
        Assert.Equal(status, (int)httpStatus);
        Expect.Error(reply, code);
        Assert.Equal(before, await WorkspaceStateAsync());
    }

    [Fact]
    public async Task Null_and_empty_bodies_fall_back_to_the_query_string()
    {
        await CreateDatasetAsync();
        Expect.Ok(await Api.CallAsync(HttpMethod.Get, "/dataset", "null"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dataset?did=D0001") { Content = new StringContent(string.Empty, Encoding.UTF8, "application/json") };
        var (status, reply) = await Api.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("D0001", Expect.Ok(reply)["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invalid_utf8_is_a_400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dataset")
        {
            Content = new ByteArrayContent([(byte)'{', (byte)'"', (byte)'n', (byte)'a', (byte)'m', (byte)'e', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}']),
        };
        request.Content.Headers.ContentType = new("application/json");
        var (status, reply) = await Api.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Expect.Error(reply, "malformed_json");
    }

    [Fact]
    public async Task Wrong_json_types_are_refused_with_status_minus_one()
    {
        Expect.Error(await Api.PostAsync("/dataset", new { name = 123, desc = "", dataset_type = "classification" }), "invalid_argument", "name");
        Expect.Error(await Api.PostAsync("/dataset", new { name = new[] { "a" }, dataset_type = "classification" }), "invalid_argument");
        Expect.Error(await Api.GetAsync("/dataset", new { did = new { x = 1 } }), "invalid_argument");
        Expect.Error(await Api.PostAsync("/project", new { name = (string?)null, project_type = "detection" }), "missing_argument");
        Expect.Error(await Api.GetAsync("/workspace", new { @struct = "dataset", id = 7 }), "invalid_argument");
        var (_, _, tid) = await CreateTaskAsync();
        Expect.Error(await Api.PostAsync("/project/task/params", new { tid, train = "not json" }), "invalid_argument");
        Expect.Error(await Api.PostAsync("/project/task/params", new { tid, train = 5 }), "invalid_argument");
    }

    [Fact]
    public async Task Hundred_kilobyte_strings_are_refused_and_change_nothing()
    {
        await CreateDatasetAsync();
        var before = await WorkspaceStateAsync();
        var huge = new string('名', 100_000);
        Expect.Error(await Api.PostAsync("/dataset", new { name = huge, desc = "", dataset_type = "classification" }), "invalid_argument", "name");
        Expect.Error(await Api.PostAsync("/project", new { name = "p", desc = huge, project_type = "classification" }), "invalid_argument", "desc");
        Expect.Error(await Api.GetAsync("/dataset", new { did = huge }), "invalid_argument");
        Assert.Equal(before, await WorkspaceStateAsync());
    }

    [Fact]
    public async Task Unknown_route_is_404_and_wrong_method_is_405()
    {
        var (status, reply) = await Api.SendAsync(HttpMethod.Get, "/datasets", null);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Expect.Error(reply, "route_not_found");
        (status, reply) = await Api.SendAsync(HttpMethod.Patch, "/dataset", "{}");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Expect.Error(reply, "method_not_allowed");
        (status, _) = await Api.SendAsync(HttpMethod.Put, "/file", "{}");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
    }

    [Fact]
    public async Task Oversize_body_is_413()
    {
        var before = await WorkspaceStateAsync();
        var body = "{\"name\": \"" + new string('a', 33 * 1024 * 1024) + "\"}";
        var (status, reply) = await Api.SendAsync(HttpMethod.Post, "/dataset", body);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Expect.Error(reply, "body_too_large");
        Assert.Equal(before, await WorkspaceStateAsync());
    }

    [Fact]
    public async Task Trailing_slash_is_the_same_route()
    {
        Expect.Ok(await Api.GetQueryAsync("/workspace/"));
    }
}

/// <summary>The same bad-input tests against <c>--backend azure</c> (emulators).</summary>
public sealed class BadInputAzureTests : BadInputTests
{
    protected override bool Azure => true;
}
