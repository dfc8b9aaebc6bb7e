using System.Text;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>An export's <c>out.log</c> kept in the artifact store as it grows, so the export status can read
/// the progress while the job runs (in the cloud the worker's disk is not the API's).</summary>
internal sealed class ExportLog(IArtifactStore artifacts, string path)
{
    private readonly StringBuilder text = new();

    /// <summary>Appends one INFO line and stores the log (called from the export's own thread).</summary>
    public void Line(string message)
    {
        text.Append(PaddleXLogFormat.Info(DateTime.Now, message)).Append('\n');
        artifacts.WriteAsync(path, new MemoryStream(Encoding.UTF8.GetBytes(text.ToString())), CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }
}
