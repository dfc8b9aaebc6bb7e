using Google.Protobuf;
using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Azure.Jobs;

internal static class JobMessageCodec
{
    public const string ContentType = "application/x-protobuf; messageType=paddlex.jobs.JobMessage";

    public static bool TryParse(ReadOnlySpan<byte> body, out JobMessage message)
    {
        try
        {
            message = JobMessage.Parser.ParseFrom(body);
            return !string.IsNullOrEmpty(message.JobId);
        }
        catch (InvalidProtocolBufferException)
        {
            message = new JobMessage();
            return false;
        }
    }
}
