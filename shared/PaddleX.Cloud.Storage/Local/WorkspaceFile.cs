using System.Globalization;
using Google.Protobuf;
using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>The workspace protobuf on disk. Every save writes a temporary file, flushes it to the
/// device and renames it over <c>workspace.newest.pb</c>, keeping the previous version as
/// <c>workspace.bak.pb</c>: a process killed at any instant leaves one complete file behind. It is
/// the snapshot of <see cref="LocalMetadataStore"/>, written when the journal is compacted.</summary>
public sealed class WorkspaceFile(string directory)
{
    public const string Version = "0.2.0";
    public const string NewestName = "workspace.newest.pb";
    public const string BackupName = "workspace.bak.pb";
    private const string TempName = "workspace.pb.tmp";

    public string NewestPath { get; } = Path.Combine(directory, NewestName);

    private string BackupPath { get; } = Path.Combine(directory, BackupName);

    private string TempPath { get; } = Path.Combine(directory, TempName);

    /// <summary>The newest readable version, else the backup, else an empty workspace.</summary>
    public Workspace Load()
    {
        var workspace = TryRead(NewestPath) ?? TryRead(BackupPath) ?? new Workspace { Version = Version };
        workspace.Path = directory;
        if (string.IsNullOrEmpty(workspace.Version))
        {
            workspace.Version = Version;
        }

        return workspace;
    }

    public void Save(Workspace workspace)
    {
        workspace.CurrentTime = DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        using (var stream = new FileStream(TempPath, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
        {
            workspace.WriteTo(stream);
            stream.Flush(flushToDisk: true);
        }

        if (File.Exists(NewestPath))
        {
            // Replace keeps the old file as the backup and renames the new one into place.
            File.Replace(TempPath, NewestPath, BackupPath, ignoreMetadataErrors: true);
        }
        else
        {
            File.Move(TempPath, NewestPath);
        }

        // The rename must be durable before the journal it replaces is deleted.
        DirectorySync.Flush(directory);
    }

    private static Workspace? TryRead(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            using var stream = File.OpenRead(path);
            return Workspace.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
