using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Runtime;

/// <summary>Process-wide libtorch settings: thread count and device choice.</summary>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();

    /// <summary>Sets libtorch intra-op threads when <paramref name="threads"/> &gt; 0.</summary>
    public static void ConfigureThreads(int threads)
    {
        if (threads <= 0)
        {
            return;
        }

        lock (Gate)
        {
            if (torch.get_num_threads() != threads)
            {
                torch.set_num_threads(threads);
            }
        }
    }

    /// <summary>CUDA when requested and available, else CPU.</summary>
    public static Device SelectDevice(bool wantCuda) =>
        wantCuda && torch.cuda.is_available() ? torch.CUDA : torch.CPU;

    /// <summary>Loads the native library and runs one op (throws when libLibTorchSharp cannot load).</summary>
    public static string Probe()
    {
        using var a = torch.ones(2, 2);
        using var b = a.matmul(a);
        return $"libtorch ok ({b.sum().item<float>()}), threads={torch.get_num_threads()}, cuda={torch.cuda.is_available()}";
    }
}
