using System.Runtime.InteropServices;

namespace PaddleX.Cloud.Vision.Runtime;

/// <summary>
/// glibc heap settings for training. libtorch allocates every activation and gradient of a step with malloc; at
/// 224 pixels they are tens to hundreds of megabytes each, above glibc's mmap threshold, so each step mapped fresh
/// pages, the kernel zeroed them on first touch, and the step unmapped them again: MobileNetV2 at 224 px spent more
/// CPU time in page faults (system time) than in its kernels. Keeping freed memory in the heap (no mmap for large
/// blocks, no trimming) lets the next step reuse the same pages: a step's CPU time halved. <see cref="Release"/>
/// hands the free memory back when a job ends.
/// </summary>
public static class NativeHeap
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapMax = -4; // M_MMAP_MAX

    private static readonly Lock Gate = new();
    private static bool applied;

    /// <summary>Sets the heap to keep freed memory (once per process; glibc on Linux only, else nothing).</summary>
    /// <returns>whether the settings are in effect.</returns>
    public static bool KeepFreedMemory()
    {
        lock (Gate)
        {
            if (!applied && OperatingSystem.IsLinux())
            {
                try
                {
                    applied = Mallopt(MmapMax, 0) == 1 && Mallopt(TrimThreshold, int.MaxValue) == 1;
                }
                catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
                {
                    // Not glibc (musl, for one): its allocator keeps its own defaults.
                }
            }

            return applied;
        }
    }

    /// <summary>Returns the heap's free memory to the operating system (after a job).</summary>
    public static void Release()
    {
        if (applied)
        {
            _ = MallocTrim(0);
        }
    }

    // DllImport: LibraryImport would need unsafe code enabled for the whole project, for two blittable calls.
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
