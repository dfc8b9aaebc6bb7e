using PaddleX.Cloud.Vision.Runtime;
using Xunit;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>The heap settings for training hold while some training holds a lease and are undone after the last one,
/// so the embedded server's API does not keep a training-sized heap between jobs. (Test classes run one at a time
/// in this assembly, so no other training holds a lease meanwhile.)</summary>
public sealed class NativeHeapTests
{
    [Fact]
    public void The_settings_hold_from_the_first_lease_to_the_end_of_the_last()
    {
        Assert.False(NativeHeap.Applied);
        var first = NativeHeap.Keep();
        bool glibc = NativeHeap.Applied;
        Assert.Equal(OperatingSystem.IsLinux(), glibc); // the CI's Debian has glibc
        var second = NativeHeap.Keep();
        first.Dispose();
        first.Dispose(); // a second dispose of one lease does not end the other
        Assert.Equal(glibc, NativeHeap.Applied);
        second.Dispose();
        Assert.False(NativeHeap.Applied);
    }
}
