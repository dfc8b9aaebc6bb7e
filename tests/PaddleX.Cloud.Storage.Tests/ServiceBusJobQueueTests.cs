using Google.Protobuf;
using PaddleX.Cloud.Azure.Jobs;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>The job queue contract against the Service Bus adapter over the in-memory broker fake.</summary>
public sealed class ServiceBusJobQueueContractTests : JobQueueContract
{
    private FakeServiceBusQueue? broker;

    /// <summary>As deployed: the queue's own delivery limit is a safety cap far above the adapter's fault limit.</summary>
    private const int BrokerCap = 100;

    protected override IJobQueue OpenQueue(TimeSpan leaseDuration, int maxDeliveryCount = 5)
    {
        broker ??= new FakeServiceBusQueue(leaseDuration, BrokerCap);
        return new ServiceBusJobQueue(broker.CreateSender(), broker.CreateReceiver(), deadLetters: broker.CreateDeadLetterReceiver()) { MaxDeliveryCount = maxDeliveryCount };
    }

    protected override Task<IReadOnlyList<(JobMessage Message, string Reason)>> DeadLettersAsync() =>
        Task.FromResult<IReadOnlyList<(JobMessage, string)>>(broker!.DeadLetters
            .Select(d => (JobMessage.Parser.ParseFrom(d.Message.Body.ToArray()), d.Reason + " " + d.Description))
            .ToList());
}

/// <summary>What the Service Bus adapter asks of the SDK.</summary>
public sealed class ServiceBusJobQueueTests
{
    private readonly FakeServiceBusQueue broker = new(TimeSpan.FromSeconds(30), 5);

    private ServiceBusJobQueue NewQueue(int maxDeliveryCount = 5) =>
        new(broker.CreateSender(), broker.CreateReceiver()) { MaxDeliveryCount = maxDeliveryCount };

    [Fact]
    public async Task Enqueue_sends_the_protobuf_with_the_job_id_as_message_id_and_properties()
    {
        var job = JobMessageFactory.Create(JobKinds.Train, "ws1", "T0007", "{}", "corr-9");
        await NewQueue().EnqueueAsync(job);
        var sent = Assert.Single(broker.Sent);
        Assert.Equal(job.JobId, sent.MessageId);
        Assert.Equal("train", sent.ApplicationProperties["kind"]);
        Assert.Equal("T0007", sent.ApplicationProperties["target"]);
        Assert.Equal("ws1", sent.ApplicationProperties["workspace"]);
        Assert.Equal("corr-9", sent.CorrelationId);
        Assert.Equal("train", sent.Subject);
        Assert.Equal(job, JobMessage.Parser.ParseFrom(sent.Body.ToArray()));
    }

    [Fact]
    public async Task A_repeated_enqueue_is_dropped_by_duplicate_detection()
    {
        var queue = NewQueue();
        var job = JobMessageFactory.Create(JobKinds.Export, "ws1", "T0001");
        await queue.EnqueueAsync(job);
        await queue.EnqueueAsync(job);
        Assert.Equal(2, broker.Sent.Count);
        Assert.All(broker.Sent, m => Assert.Equal(job.JobId, m.MessageId));
        var lease = await queue.ReceiveAsync(TimeSpan.FromSeconds(5));
        await lease!.CompleteAsync();
        Assert.Null(await queue.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Renew_complete_abandon_and_dead_letter_call_the_receiver()
    {
        var queue = NewQueue();
        var a = JobMessageFactory.Create(JobKinds.Train, "ws1", "T1");
        var b = JobMessageFactory.Create(JobKinds.Train, "ws1", "T2");
        await queue.EnqueueAsync(a);
        await queue.EnqueueAsync(b);

        var first = await queue.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(a.JobId, first!.Message.JobId);
        await first.RenewAsync();
        await first.AbandonAsync();
        var again = await queue.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(a.JobId, again!.Message.JobId);
        Assert.Equal(2, again.DeliveryCount);
        await again.CompleteAsync();

        var second = await queue.ReceiveAsync(TimeSpan.FromSeconds(5));
        await second!.DeadLetterAsync("bad parameters");

        Assert.Contains("renew " + a.JobId, broker.Calls);
        Assert.Contains("abandon " + a.JobId, broker.Calls);
        Assert.Contains("complete " + a.JobId, broker.Calls);
        Assert.Contains("deadletter " + b.JobId + " bad parameters", broker.Calls);
        var dead = Assert.Single(broker.DeadLetters);
        Assert.Equal("bad parameters", dead.Reason);
        Assert.Equal("bad parameters", dead.Description);
    }

    [Fact]
    public async Task A_long_reason_is_cut_for_the_header_and_kept_whole_in_the_description()
    {
        var queue = NewQueue();
        await queue.EnqueueAsync(JobMessageFactory.Create(JobKinds.Train, "ws1", "T1"));
        var lease = await queue.ReceiveAsync(TimeSpan.FromSeconds(5));
        var reason = new string('x', 1000);
        await lease!.DeadLetterAsync(reason);
        var dead = Assert.Single(broker.DeadLetters);
        Assert.Equal(256, dead.Reason.Length);
        Assert.Equal(reason, dead.Description);
    }

    [Fact]
    public async Task Delivery_count_comes_from_the_message()
    {
        var queue = NewQueue();
        await queue.EnqueueAsync(JobMessageFactory.Create(JobKinds.Train, "ws1", "T1"));
        for (var i = 1; i <= 3; i++)
        {
            var lease = await queue.ReceiveAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(i, lease!.DeliveryCount);
            await lease.AbandonAsync();
        }
    }

    [Fact]
    public async Task The_adapter_dead_letters_past_its_own_limit_even_if_the_queue_allows_more()
    {
        var queue = NewQueue(maxDeliveryCount: 2); // the broker allows 5
        var job = JobMessageFactory.Create(JobKinds.Train, "ws1", "T1");
        await queue.EnqueueAsync(job);
        for (var i = 0; i < 2; i++)
        {
            await (await queue.ReceiveAsync(TimeSpan.FromSeconds(5)))!.AbandonAsync();
        }

        Assert.Null(await queue.ReceiveAsync(TimeSpan.FromMilliseconds(500)));
        var dead = Assert.Single(broker.DeadLetters);
        Assert.Equal("MaxDeliveryCountExceeded", dead.Reason);
    }

    [Fact]
    public async Task Jobs_the_broker_dead_letters_on_its_own_are_read_with_the_brokers_reason()
    {
        var small = new FakeServiceBusQueue(TimeSpan.FromMilliseconds(300), maxDeliveryCount: 1);
        var queue = new ServiceBusJobQueue(small.CreateSender(), small.CreateReceiver(), deadLetters: small.CreateDeadLetterReceiver());
        var expired = JobMessageFactory.Create(JobKinds.Train, "ws1", "T1");
        var lapsed = JobMessageFactory.Create(JobKinds.Train, "ws1", "T2");
        await queue.EnqueueAsync(expired);
        small.Expire(expired.JobId); // waited past its time to live: no worker ever saw it
        await queue.EnqueueAsync(lapsed);
        Assert.NotNull(await queue.ReceiveAsync(TimeSpan.FromSeconds(5))); // the worker dies; the lock lapses on the broker's last delivery
        await Task.Delay(400);
        Assert.Null(await queue.ReceiveAsync(TimeSpan.FromMilliseconds(300)));

        var dead = await queue.ReadDeadLettersAsync();
        Assert.Equal([expired.JobId, lapsed.JobId], dead.Select(d => d.Message.JobId));
        Assert.StartsWith("TTLExpiredException", dead[0].Reason, StringComparison.Ordinal);
        Assert.StartsWith("MaxDeliveryCountExceeded", dead[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hand_back_is_an_abandon_that_records_itself_on_the_message()
    {
        var queue = NewQueue();
        var job = JobMessageFactory.Create(JobKinds.Train, "ws1", "T1");
        await queue.EnqueueAsync(job);
        await (await queue.ReceiveAsync(TimeSpan.FromSeconds(5)))!.HandBackAsync();
        await (await queue.ReceiveAsync(TimeSpan.FromSeconds(5)))!.HandBackAsync();
        var third = await queue.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(3, third!.DeliveryCount);
        Assert.Equal(0, third.FaultedDeliveries);
        Assert.Equal(2, Assert.Single(broker.Sent).ApplicationProperties[ServiceBusJobQueue.HandBacksProperty]);
        Assert.Equal(2, broker.Calls.Count(c => c == "abandon " + job.JobId));
    }

    [Fact]
    public async Task An_unreadable_body_is_dead_lettered_not_handed_out()
    {
        var sender = broker.CreateSender();
        await sender.SendMessageAsync(new global::Azure.Messaging.ServiceBus.ServiceBusMessage(new BinaryData("not protobuf \u0001\u0002"u8.ToArray())) { MessageId = "junk" });
        var job = JobMessageFactory.Create(JobKinds.Train, "ws1", "T1");
        var queue = NewQueue();
        await queue.EnqueueAsync(job);
        var lease = await queue.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(job.JobId, lease!.Message.JobId);
        Assert.Equal("UnreadableMessage", Assert.Single(broker.DeadLetters).Reason);
    }

    [Fact]
    public void The_message_round_trips_through_the_model_factory()
    {
        var job = JobMessageFactory.Create(JobKinds.Predict, "ws1", "T3", "{\"img\":\"a.jpg\"}");
        var message = ServiceBusJobQueue.ToServiceBusMessage(job);
        var received = global::Azure.Messaging.ServiceBus.ServiceBusModelFactory.ServiceBusReceivedMessage(body: message.Body, messageId: message.MessageId, deliveryCount: 1);
        Assert.Equal(job, JobMessage.Parser.ParseFrom(received.Body.ToArray()));
        Assert.Equal(job.ToByteArray(), received.Body.ToArray());
    }
}
