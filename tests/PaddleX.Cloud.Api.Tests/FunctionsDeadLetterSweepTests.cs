using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PaddleX.Cloud.Api.Tests.Infrastructure;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Functions;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>With no worker replica running, the Functions app's timer still finds jobs the queue gave
/// up and records them as failed on their targets (the sweep the worker runs, same targets).</summary>
public sealed class FunctionsDeadLetterSweepTests
{
    [Fact]
    public void The_sweep_is_a_timer_function_every_five_minutes()
    {
        var method = typeof(MaintenanceFunctions).GetMethod(nameof(MaintenanceFunctions.ReconcileDeadLetters))!;
        Assert.Equal("ReconcileDeadLetters", Assert.Single(method.GetCustomAttributes(typeof(FunctionAttribute), false).Cast<FunctionAttribute>()).Name);
        var trigger = method.GetParameters().Select(p => p.GetCustomAttributes(typeof(TimerTriggerAttribute), false).Cast<TimerTriggerAttribute>().SingleOrDefault()).Single(t => t is not null)!;
        Assert.Equal("0 */5 * * * *", trigger.Schedule);
    }

    [Fact]
    public async Task A_dead_lettered_train_job_leaves_its_task_failed_without_any_worker()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>("Api:ApiKey", "k3y-0123456789abcdef")])
            .Build();
        await using var services = new ServiceCollection().AddLogging().AddPaddleXFunctions(configuration, TempFolder.Create("functions-sweep")).BuildServiceProvider();
        var metadata = services.GetRequiredService<IMetadataStore>();
        var queue = services.GetRequiredService<IJobQueue>();

        // What POST /project/task/train records before it enqueues; then the job is given up with no worker
        // recording why (the broker's own dead-lettering, played here through a lease: the reason is the broker's).
        var task = await metadata.Tasks.CreateAsync(id => new TaskInfo { Id = id, Pid = "P0001", Path = $"projects/P0001/tasks/{id}" });
        var message = JobMessageFactory.Create(JobKinds.Train, "local", task.Id);
        await metadata.Tasks.UpdateAsync(task.Id, t =>
        {
            t.Jobs[JobKinds.Train] = new JobState { JobId = message.JobId, Status = (int)Contracts.TaskStatus.XTRAINING };
            t.State = new JobState { Status = (int)Contracts.TaskStatus.XTRAINING };
        });
        await queue.EnqueueAsync(message);
        var lease = await queue.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(lease);
        await lease.DeadLetterAsync("TTLExpiredException");

        var functions = ActivatorUtilities.CreateInstance<MaintenanceFunctions>(services);
        Assert.Equal(1, await functions.ReconcileDeadLetters(new TimerInfo(), CancellationToken.None));
        var failed = (await metadata.Tasks.GetAsync(task.Id))!;
        Assert.Equal((int)Contracts.TaskStatus.XTRAINFAIL, failed.State.Status);
        Assert.Contains("TTLExpiredException", failed.State.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, failed.Jobs[JobKinds.Train].JobId);

        // The dead letter stays for the operator; the next tick leaves the released task alone.
        Assert.Equal(0, await functions.ReconcileDeadLetters(new TimerInfo(), CancellationToken.None));
    }
}
