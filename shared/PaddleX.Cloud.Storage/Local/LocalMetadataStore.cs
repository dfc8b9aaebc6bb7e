using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>Metadata in the workspace folder: the <see cref="Workspace"/> protobuf snapshot
/// (<c>workspace.newest.pb</c>, readable by the original server) plus a journal of the changes made
/// since. A change is appended to the journal and acknowledged once it is on the device; writers
/// that arrive while a flush runs share the next one (group commit). Readers see an immutable
/// version of the workspace and never wait. The journal is folded into a new snapshot in the
/// background once it outgrows it. See docs/metadata-store.md.</summary>
public sealed class LocalMetadataStore : IMetadataStore, IDisposable
{
    private static readonly TimeSpan FlushLoopIdle = TimeSpan.FromSeconds(1);

    private readonly string directory;
    private readonly WorkspaceFile file;
    private readonly MetadataJournal journal;
    private readonly LocalMetadataStoreOptions options;
    private readonly object writeLock = new();

    // Guarded by writeLock: the version writers build on (may include changes not yet durable),
    // the changes waiting for the next flush, and whether a flush loop runs.
    private WorkspaceState pending;
    private List<PendingChange> queue = [];
    private Task lastChange = Task.CompletedTask;
    private Task? flushing;
    private bool disposed;

    // Owned by the flush loop.
    private Task? compacting;
    private long snapshotBytes;

    private WorkspaceState published;
    private readonly LocalEntitySet<Project> projects;
    private readonly LocalEntitySet<Contracts.TaskInfo> tasks;
    private long flushes;

    public LocalMetadataStore(string workspaceDirectory)
        : this(workspaceDirectory, new LocalMetadataStoreOptions())
    {
    }

    public LocalMetadataStore(string workspaceDirectory, LocalMetadataStoreOptions options)
    {
        directory = workspaceDirectory;
        this.options = options;
        Directory.CreateDirectory(workspaceDirectory);
        file = new WorkspaceFile(workspaceDirectory);
        journal = new MetadataJournal(workspaceDirectory);
        published = pending = Recover();
        Datasets = new LocalEntitySet<Dataset>(this, EntityKind.Datasets);
        Projects = projects = new LocalEntitySet<Project>(this, EntityKind.Projects);
        Tasks = tasks = new LocalEntitySet<Contracts.TaskInfo>(this, EntityKind.Tasks);
        PretrainedModels = new LocalEntitySet<PretrainedModel>(this, EntityKind.PretrainedModels);
        ExportedModels = new LocalEntitySet<ExportedModel>(this, EntityKind.ExportedModels);
    }

    public string WorkspaceId => "local";

    public IEntitySet<Dataset> Datasets { get; }

    public IEntitySet<Project> Projects { get; }

    public IEntitySet<Contracts.TaskInfo> Tasks { get; }

    public IEntitySet<PretrainedModel> PretrainedModels { get; }

    public IEntitySet<ExportedModel> ExportedModels { get; }

    public ValueTask<IReadOnlyList<Project>> ProjectsOfDatasetAsync(string did, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(projects.OwnedBy(did));

    public ValueTask<IReadOnlyList<Contracts.TaskInfo>> TasksOfProjectAsync(string pid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(tasks.OwnedBy(pid));

    /// <summary>The newest durable version: everything acknowledged and nothing that is not.</summary>
    internal WorkspaceState Published => Volatile.Read(ref published);

    /// <summary>Batches written and flushed to the device so far.</summary>
    internal long Flushes => Interlocked.Read(ref flushes);

    /// <summary>Runs <paramref name="change"/> on the newest version and, when it returns a record,
    /// completes once that record is durable. An exception from <paramref name="change"/> changes
    /// nothing. A change that changes nothing still waits for the changes before it, so its answer
    /// never rests on something that is later lost.</summary>
    internal async ValueTask<TResult> ChangeAsync<TResult>(Func<WorkspaceState, (JournalRecord? Record, TResult Result)> change, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Task durable;
        TResult result;
        Task? startFlush = null;
        lock (writeLock)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            (var record, result) = change(pending);
            if (record is null)
            {
                durable = lastChange;
            }
            else
            {
                pending = pending.Apply(record);
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                queue.Add(new PendingChange(record.Encode(), pending, done));
                durable = lastChange = done.Task;
                if (flushing is null)
                {
                    startFlush = flushing = new Task(FlushLoop, TaskCreationOptions.LongRunning);
                }
                else
                {
                    Monitor.Pulse(writeLock); // the flush loop may be waiting for the next change
                }
            }
        }

        startFlush?.Start(TaskScheduler.Default);

        // Once queued the change happens, so the caller waits for the flush even when cancelled: its
        // answer must say what is on the device.
        await durable;
        return result;
    }

    /// <summary>Waits for queued changes, then folds the journal into the snapshot, so a cleanly
    /// stopped store leaves a workspace folder the original server reads as it is.</summary>
    public void Dispose()
    {
        Task? running;
        lock (writeLock)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            running = flushing;
            Monitor.PulseAll(writeLock);
        }

        running?.Wait();
        compacting?.Wait();
        if (File.Exists(journal.ActivePath) || File.Exists(journal.RotatedPath))
        {
            Compact(Published, foldsActive: true);
        }
    }

    /// <summary>Snapshot, then the rotated journal, then the active one: the state at the last
    /// acknowledged change. A journal left over means a crash; it is folded into a new snapshot
    /// before anything else is written, which also drops a cut-off tail.</summary>
    private WorkspaceState Recover()
    {
        var state = WorkspaceState.From(file.Load());
        var leftOver = false;
        foreach (var path in new[] { journal.RotatedPath, journal.ActivePath })
        {
            leftOver |= File.Exists(path);
            foreach (var record in MetadataJournal.Read(path))
            {
                state = state.Apply(record);
            }
        }

        if (leftOver)
        {
            Compact(state, foldsActive: true);
        }
        else
        {
            snapshotBytes = File.Exists(file.NewestPath) ? new FileInfo(file.NewestPath).Length : 0;
        }

        return state;
    }

    /// <summary>Writes and flushes batches on a thread of its own, not the thread pool's: it blocks
    /// in <c>fsync</c> for most of its time under a stream of changes, and the pool's few threads
    /// serve the requests. Between batches it waits a while for the next change before it ends, so a
    /// steady stream of changes does not start a thread per batch.</summary>
    private void FlushLoop()
    {
        while (true)
        {
            List<PendingChange> batch;
            lock (writeLock)
            {
                while (queue.Count == 0)
                {
                    if (disposed || !Monitor.Wait(writeLock, FlushLoopIdle))
                    {
                        if (queue.Count == 0)
                        {
                            flushing = null;
                            return;
                        }
                    }
                }

                batch = queue;
                queue = [];
            }

            try
            {
                journal.Append(batch.Select(change => change.Frame).ToList());
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                FailQueued(batch, e);
                continue;
            }

            Interlocked.Increment(ref flushes);
            Volatile.Write(ref published, batch[^1].State);
            foreach (var change in batch)
            {
                change.Done.SetResult();
            }

            try
            {
                StartCompactionIfDue();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not rotated: the journal keeps growing and the next batch tries again.
            }
        }
    }

    /// <summary>A failed flush fails its batch and every change queued behind it (they were built on
    /// it); writers start again from the last durable version.</summary>
    private void FailQueued(List<PendingChange> batch, Exception error)
    {
        List<PendingChange> behind;
        lock (writeLock)
        {
            behind = queue;
            queue = [];
            pending = Published;
        }

        foreach (var change in batch.Concat(behind))
        {
            change.Done.SetException(new IOException("the metadata change was not saved: " + error.Message, error));
        }
    }

    private void StartCompactionIfDue()
    {
        if (compacting is { IsCompleted: false } || journal.Length < Math.Max(options.CompactAfterBytes, snapshotBytes))
        {
            return;
        }

        // A rotated journal still present means the last compaction failed: its snapshot is written
        // again, now from a later version, which still contains everything the rotated journal holds.
        var rotate = !File.Exists(journal.RotatedPath);
        if (rotate)
        {
            journal.Rotate();
            options.AfterCompactionStep?.Invoke("rotated");
        }

        var state = Published;
        compacting = Task.Run(() =>
        {
            try
            {
                Compact(state, foldsActive: false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The journals stay; the next compaction tries again and recovery replays them.
            }
        });
    }

    /// <summary>Writes <paramref name="state"/> as the snapshot, then deletes the journals it contains:
    /// the rotated one, and with <paramref name="foldsActive"/> (nothing appending: start and stop)
    /// the active one too.</summary>
    private void Compact(WorkspaceState state, bool foldsActive)
    {
        var snapshot = state.ToWorkspace(directory);
        file.Save(snapshot);
        snapshotBytes = new FileInfo(file.NewestPath).Length;
        options.AfterCompactionStep?.Invoke("snapshot-written");
        File.Delete(journal.RotatedPath);
        if (foldsActive)
        {
            File.Delete(journal.ActivePath);
        }

        options.AfterCompactionStep?.Invoke("compacted");
    }

    private sealed record PendingChange(byte[] Frame, WorkspaceState State, TaskCompletionSource Done);
}
