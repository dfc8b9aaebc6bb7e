using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Datasets.Import;

/// <summary>The files an import sees (docs/api-behaviour.md §4): the source root plus exactly one folder
/// level down; names starting with '.' and names of status files are skipped. Relative paths use '/'.</summary>
public sealed class SourceListing
{
    private static readonly HashSet<string> StatusNames = new(
        Enum.GetNames<PretrainedModelStatus>().Concat(Enum.GetNames<DatasetStatus>()),
        StringComparer.Ordinal);

    private readonly HashSet<string> set;

    private SourceListing(string root, List<string> files)
    {
        Root = root;
        Files = files;
        set = new HashSet<string>(files, StringComparer.Ordinal);
    }

    public string Root { get; }

    /// <summary>Relative paths, ordered ordinally.</summary>
    public IReadOnlyList<string> Files { get; }

    public bool Contains(string relative) => set.Contains(relative);

    public bool HasFolder(string name) => Directory.Exists(Path.Combine(Root, name));

    public string FullPath(string relative) => Path.Combine(Root, relative);

    public IEnumerable<string> In(string folder) =>
        Files.Where(f => f.Length > folder.Length + 1 && f.StartsWith(folder + "/", StringComparison.Ordinal));

    public static SourceListing Of(string root)
    {
        var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false, ReturnSpecialDirectories = false };
        var files = new List<string>();
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
        {
            if (Skipped(entry.Name) || IsLink(entry))
            {
                continue; // symbolic links are never followed: they could point anywhere
            }

            if (entry is FileInfo)
            {
                files.Add(entry.Name);
            }
            else if (entry is DirectoryInfo dir)
            {
                foreach (var file in dir.EnumerateFiles("*", options))
                {
                    if (!Skipped(file.Name) && !IsLink(file))
                    {
                        files.Add(dir.Name + "/" + file.Name);
                    }
                }
            }
        }

        files.Sort(StringComparer.Ordinal);
        return new SourceListing(root, files);
    }

    /// <summary>From the enumeration's cached attributes: no extra system call per file.</summary>
    private static bool IsLink(FileSystemInfo entry) => entry.Attributes.HasFlag(FileAttributes.ReparsePoint);

    private static bool Skipped(string name) => name.StartsWith('.') || StatusNames.Contains(name);
}
