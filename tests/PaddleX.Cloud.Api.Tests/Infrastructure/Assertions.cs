using System.Text.Json.Nodes;

namespace PaddleX.Cloud.Api.Tests.Infrastructure;

public static class Expect
{
    public static JsonObject Ok(JsonObject reply)
    {
        Assert.True(reply["status"]?.GetValue<int>() == 1, $"expected status 1: {reply.ToJsonString()}");
        return reply;
    }

    /// <summary>An application error: status -1 with a message and a code.</summary>
    public static JsonObject Error(JsonObject reply, string code, string? messageContains = null)
    {
        Assert.True(reply["status"]?.GetValue<int>() == -1, $"expected status -1: {reply.ToJsonString()}");
        Assert.Equal(code, reply["code"]?.GetValue<string>());
        var message = reply["message"]?.GetValue<string>();
        Assert.False(string.IsNullOrWhiteSpace(message));
        if (messageContains is not null)
        {
            Assert.Contains(messageContains, message, StringComparison.Ordinal);
        }

        return reply;
    }

    public static void Keys(JsonObject obj, params string[] keys) =>
        Assert.Equal(keys.Order(StringComparer.Ordinal), obj.Select(p => p.Key).Order(StringComparer.Ordinal));
}
