using System.Runtime.InteropServices;

namespace PaddleX.Cloud.Vision.Runtime;

/// <summary>
/// glibc heap settings for training. libtorch allocates every activation and gradient of a step with malloc; at
/// 224 pixels they are tens to hundreds of megabytes each, above glibc's mmap threshold, so each step mapped fresh
/// pages, the kernel zeroed them on first touch, and the step unmapped them again: MobileNetV2 at 224 px spent more
/// CPU time in page faults (system time) than in its kernels. Keeping freed memory in the heap (no mmap for large
/// blocks, no trimming) lets the next step reuse the same pages: a step's CPU time halved.
/// <para>The settings are process-wide, and the embedded server runs the API beside its trainings, so they hold only
/// while a training runs: the first <see cref="Keep"/> sets them, the end of the last one puts glibc's defaults
/// back and hands the free memory to the operating system.</para>
/// </summary>
public static class NativeHeap
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapMax = -4; // M_MMAP_MAX
    private const int DefaultTrimThreshold = 128 * 1024; // glibc's DEFAULT_TRIM_THRESHOLD
    private const int DefaultMmapMax = 65536; // glibc's DEFAULT_MMAP_MAX

    private static readonly Lock Gate = new();
    private static int holders;
    private static bool applied;

    /// <summary>Whether the training settings are in effect now.</summary>
    public static bool Applied
    {
        get
        {
            lock (Gate)
            {
                return applied;
            }
        }
    }

    /// <summary>Keeps freed memory in the heap until the returned lease and every other one are disposed (glibc on
    /// Linux only, else nothing).</summary>
    public static IDisposable Keep()
    {
        lock (Gate)
        {
            if (holders++ == 0)
            {
                applied = Set(0, int.MaxValue);
            }
        }

        return new Lease();
    }

    private static void Return()
    {
        lock (Gate)
        {
            if (--holders == 0 && applied)
            {
                // Setting either parameter also turned off glibc's sliding mmap threshold; it stays where it
                // stood, so large blocks are mapped and unmapped again as outside training.
                Set(DefaultMmapMax, DefaultTrimThreshold);
                applied = false;
                _ = MallocTrim(0);
            }
        }
    }

    private static bool Set(int mmapMax, int trimThreshold)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return Mallopt(MmapMax, mmapMax) == 1 && Mallopt(TrimThreshold, trimThreshold) == 1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl, for one): its allocator keeps its own defaults.
            return false;
        }
    }

    private sealed class Lease : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                Return();
            }
        }
    }

    // DllImport: LibraryImport would need unsafe code enabled for the whole project, for two blittable calls.
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
