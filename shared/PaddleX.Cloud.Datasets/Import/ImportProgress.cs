namespace PaddleX.Cloud.Datasets.Import;

/// <summary>Progress of one import, read by whoever reports it (polling, so the copy never waits on it).</summary>
public sealed class ImportProgress
{
    private int copied;
    private int total;
    private int copying;

    public bool Copying => Volatile.Read(ref copying) == 1;

    public int Copied => Volatile.Read(ref copied);

    public int Total => Volatile.Read(ref total);

    /// <summary>0–100.</summary>
    public double Percent => Total == 0 ? (Copying ? 100 : 0) : Math.Round(100.0 * Copied / Total, 2);

    internal void StartCopy(int files)
    {
        Volatile.Write(ref total, files);
        Volatile.Write(ref copying, 1);
    }

    internal void FileDone() => Interlocked.Increment(ref copied);
}
