using System.Runtime.InteropServices;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>The kernel's view of a path with every symbolic link resolved.</summary>
internal static partial class NativePaths
{
    /// <summary>realpath(3) of the longest existing ancestor, with the missing tail appended, so a
    /// path that does not exist yet can still be checked for escaping through a link.</summary>
    public static string Resolve(string fullPath)
    {
        var missing = new Stack<string>();
        var probe = Path.TrimEndingDirectorySeparator(fullPath);
        while (true)
        {
            var real = RealPath(probe);
            if (real is not null)
            {
                return missing.Aggregate(real, Path.Combine);
            }

            var parent = Path.GetDirectoryName(probe);
            if (parent is null)
            {
                return fullPath;
            }

            missing.Push(Path.GetFileName(probe));
            probe = parent;
        }
    }

    private static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return Path.Exists(path) ? Path.GetFullPath(path) : null;
        }

        var result = Native.realpath(path, IntPtr.Zero);
        if (result == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(result);
        }
        finally
        {
            Native.free(result);
        }
    }

    private static partial class Native
    {
#pragma warning disable SA1300, CA1401 // libc names
        [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial IntPtr realpath(string path, IntPtr resolved);

        [LibraryImport("libc")]
        internal static partial void free(IntPtr pointer);
#pragma warning restore SA1300, CA1401
    }
}
