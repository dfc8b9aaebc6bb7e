using PaddleX.Cloud.Contracts.Training;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>Writes timestamped PaddleX log lines to a writer and a callback.</summary>
internal sealed class TrainLogWriter(TextWriter? writer, Action<string>? onLine, TimeProvider clock)
{
    public DateTime Now => clock.GetLocalNow().DateTime;

    public void Info(string message) => Write("INFO", message);

    public void Write(string level, string message) => Raw(PaddleXLogFormat.Line(Now, level, message));

    public void Raw(string line)
    {
        if (writer is not null)
        {
            lock (writer)
            {
                writer.WriteLine(line);
                writer.Flush();
            }
        }

        onLine?.Invoke(line);
    }
}
