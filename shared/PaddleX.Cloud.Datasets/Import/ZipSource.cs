using System.IO.Compression;

namespace PaddleX.Cloud.Datasets.Import;

/// <summary>Safe extraction of an uploaded or imported .zip: entries with '..', absolute or drive
/// names are refused (zip-slip), and so is an archive that expands past a limit, counted both from
/// the central directory and from the bytes really written.</summary>
public static class ZipSource
{
    /// <summary>Throws <see cref="DatasetCheckException"/> when an entry name is unsafe or the declared sizes exceed the limit.</summary>
    public static void Inspect(Stream zip, string displayName, long maxExpandedBytes)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException)
        {
            throw new DatasetCheckException(DatasetMessages.ZipInvalid(displayName));
        }

        using (archive)
        {
            long total = 0;
            foreach (var entry in archive.Entries)
            {
                CheckName(entry.FullName);
                total += entry.Length;
                if (total > maxExpandedBytes)
                {
                    throw new DatasetCheckException(DatasetMessages.ZipTooLarge(maxExpandedBytes), DatasetCheckException.ArchiveTooLarge);
                }
            }
        }
    }

    /// <summary>Extracts into <paramref name="destination"/> and returns the folder to import: the
    /// destination, or its only folder when the archive wraps everything in one top-level folder.</summary>
    public static string Extract(string zipPath, string displayName, string destination, long maxExpandedBytes, CancellationToken cancellation)
    {
        using (var file = File.OpenRead(zipPath))
        {
            Inspect(file, displayName, maxExpandedBytes);
        }

        Directory.CreateDirectory(destination);
        var root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        long written = 0;
        var buffer = new byte[81920];
        using (var archive = ZipFile.OpenRead(zipPath))
        {
            foreach (var entry in archive.Entries)
            {
                cancellation.ThrowIfCancellationRequested();
                var target = Path.GetFullPath(Path.Combine(root, entry.FullName.Replace('\\', '/')));
                if (!target.StartsWith(root, StringComparison.Ordinal))
                {
                    throw new DatasetCheckException(DatasetMessages.ZipEntryUnsafe(entry.FullName), DatasetCheckException.ArchiveUnsafe);
                }

                if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
                {
                    Directory.CreateDirectory(target);
                    continue;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                try
                {
                    using var input = entry.Open();
                    using var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 65536);
                    int n;
                    while ((n = input.Read(buffer)) > 0)
                    {
                        written += n;
                        if (written > maxExpandedBytes)
                        {
                            throw new DatasetCheckException(DatasetMessages.ZipTooLarge(maxExpandedBytes), DatasetCheckException.ArchiveTooLarge);
                        }

                        output.Write(buffer, 0, n);
                    }
                }
                catch (InvalidDataException)
                {
                    throw new DatasetCheckException(DatasetMessages.ZipInvalid(displayName));
                }
            }
        }

        var visible = new DirectoryInfo(destination).EnumerateFileSystemInfos()
            .Where(e => !e.Name.StartsWith('.') && e.Name != "__MACOSX")
            .ToList();
        return visible is [DirectoryInfo only] ? only.FullName : destination;
    }

    private static void CheckName(string name)
    {
        var normalized = name.Replace('\\', '/');
        if (normalized.Length == 0
            || normalized.StartsWith('/')
            || (normalized.Length > 1 && normalized[1] == ':')
            || normalized.Contains('\0', StringComparison.Ordinal)
            || normalized.Split('/').Any(part => part == ".."))
        {
            throw new DatasetCheckException(DatasetMessages.ZipEntryUnsafe(name), DatasetCheckException.ArchiveUnsafe);
        }
    }
}
