using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Tests;

/// <summary>A failed training records the cause, never the native stack trace libtorch appends.</summary>
public sealed class FailureTextTests
{
    [Fact]
    public void Only_the_first_line_of_a_native_failure_reaches_the_task_message()
    {
        var native = new InvalidOperationException(
            "PytorchStreamReader failed reading zip archive: failed finding central directory Exception raised from valid at ../caffe2/serialize/inline_container.cc:184 (most recent call first):\n"
            + "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x57 (0x7f in /usr/lib/libc10.so)\nframe #1: ...");
        Assert.Equal("PytorchStreamReader failed reading zip archive: failed finding central directory", TrainJobHandler.FailureText(native));
        Assert.Equal("plain", TrainJobHandler.FailureText(new InvalidDataException("plain")));
        Assert.Equal(500, TrainJobHandler.FailureText(new InvalidDataException(new string('x', 2000))).Length);
    }
}
