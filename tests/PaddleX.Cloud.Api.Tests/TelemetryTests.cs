using System.Collections.Concurrent;
using System.Diagnostics;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>A job continues the trace of the HTTP request that enqueued it: the trace id of the
/// client's <c>traceparent</c> reaches the worker's job activity through the queue message.</summary>
public sealed class TelemetryTests : ServerTestBase
{
    [Fact]
    public async Task The_job_activity_continues_the_request_trace()
    {
        var jobs = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "PaddleX.Cloud.Jobs" or "PaddleX.Cloud.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = jobs.Add,
        };
        ActivitySource.AddActivityListener(listener);

        var did = await CreateDatasetAsync();
        var source = ShapesDataset.Write(Path.Combine(Server.Workspace, "import", "telemetry"), 3);
        // The client's own span: HttpClient sends its context as the W3C traceparent header.
        using var clientSource = new ActivitySource("PaddleX.Cloud.Tests");
        using var client = clientSource.StartActivity("client import", ActivityKind.Client)!;
        var traceId = client.TraceId;
        using var request = new HttpRequestMessage(HttpMethod.Put, "/dataset")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { did, path = source }), System.Text.Encoding.UTF8, "application/json"),
        };
        var (_, reply) = await Api.SendAsync(request);
        Expect.Ok(reply);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        Activity? job;
        while ((job = jobs.FirstOrDefault(a => (string?)a.GetTagItem("paddlex.job.target") == did && a.TraceId == traceId)) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no job activity in trace {traceId}; seen: {string.Join(", ", jobs.Select(a => $"{a.DisplayName}/{a.TraceId}/{a.GetTagItem("paddlex.job.target")}/{a.ParentId}"))}");
            await Task.Delay(100);
        }

        Assert.Equal("job import", job.DisplayName);
        Assert.Equal(ActivityKind.Consumer, job.Kind);
        Assert.False(string.IsNullOrEmpty((string?)job.GetTagItem("paddlex.job.id")));
    }
}
