using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Runtime;

/// <summary>
/// Constants for hot tensor code as <see cref="Scalar"/>s that live as long as the process. TorchSharp 0.107 turns a
/// C# number passed to a tensor method into a temporary Scalar that its finalizer may free while libtorch still reads
/// it (docs/vision.md, "Known TorchSharp pitfalls"). A value known only at run time goes into a Scalar held by a
/// <c>using</c> declaration instead, which keeps it alive until the call has returned.
/// </summary>
internal static class HeldScalars
{
    // Integral, so they keep an int64 tensor int64 and promote to a float tensor's type like a C# literal would.
    public static readonly Scalar Zero = 0L.ToScalar();
    public static readonly Scalar One = 1L.ToScalar();
    public static readonly Scalar Two = 2L.ToScalar();
}
