using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>Tensor contents as a managed array, for the ops whose loops run on the host (NMS, sampling plans).</summary>
internal static class HostArrays
{
    /// <summary>The elements of <paramref name="t"/> in row-major order, converted to <paramref name="type"/>.</summary>
    public static T[] Of<T>(Tensor t, ScalarType type)
        where T : unmanaged
    {
        if (t.numel() == 0)
        {
            return [];
        }

        using var scope = NewDisposeScope();
        return t.detach().to(type, CPU).contiguous().data<T>().ToArray();
    }
}
