using PaddleX.Cloud.Datasets.Formats;
using PaddleX.Cloud.Datasets.Images;

namespace PaddleX.Cloud.Datasets.Import;

/// <summary>Checks a source folder and copies it into an output folder (a staging folder the caller
/// swaps in): the check (structure, annotations) first, then the copy, during which every picture is
/// read once, decoded completely from the bytes in hand, and written. A picture that does not decode
/// is a check failure. Memory holds one picture per copying thread, whatever the dataset's size.</summary>
public static class DatasetImporter
{
    /// <param name="Type">The dataset type (classification, detection, …).</param>
    /// <param name="SourceDir">The folder to import.</param>
    /// <param name="DisplayRoot">How messages name the source root (the user's path).</param>
    /// <param name="OutputDir">The folder that becomes the dataset (created).</param>
    /// <param name="MoveFiles">Move instead of copy (the source is a scratch extraction).</param>
    public sealed record Request(string Type, string SourceDir, string DisplayRoot, string OutputDir, bool MoveFiles = false)
    {
        public int Parallelism { get; init; } = Math.Clamp(Environment.ProcessorCount * 2, 2, 8);

        /// <summary>Pictures up to this size are read into memory and decoded from there.</summary>
        public long MaxBufferedPicture { get; init; } = 64L * 1024 * 1024;

        /// <summary>See <see cref="DatasetOptions.ThrottlePerFile"/>.</summary>
        public TimeSpan ThrottlePerFile { get; init; } = TimeSpan.Zero;
    }

    /// <summary>Throws <see cref="DatasetCheckException"/> when the source is not a valid dataset; any
    /// other exception is a copy failure. The output folder may hold a partial copy then.</summary>
    public static async Task<CheckResult> RunAsync(Request request, ImportProgress progress, CancellationToken cancellation)
    {
        if (!Directory.Exists(request.SourceDir))
        {
            throw new DatasetCheckException(DatasetMessages.SourceMissing(request.DisplayRoot));
        }

        Directory.CreateDirectory(request.OutputDir);
        var listing = SourceListing.Of(request.SourceDir);
        var context = new CheckContext(listing, request.DisplayRoot, request.OutputDir, cancellation);
        var result = await Task.Run(() => DatasetFormats.For(request.Type).Check(context), cancellation);
        if (result.Details.FileInfo.Count == 0)
        {
            throw new DatasetCheckException(DatasetMessages.NoImages);
        }

        var files = listing.Files.Where(f => !context.Generated.Contains(f)).ToList();
        progress.StartCopy(files.Count);
        foreach (var folder in files.Select(f => Path.GetDirectoryName(Path.Combine(request.OutputDir, f))!).Distinct(StringComparer.Ordinal))
        {
            Directory.CreateDirectory(folder); // before the parallel copy: no thread writes into a folder not yet made
        }

        await Parallel.ForEachAsync(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = request.Parallelism, CancellationToken = cancellation },
            async (relative, token) =>
            {
                CopyOne(request, result, relative);
                progress.FileDone();
                if (request.ThrottlePerFile > TimeSpan.Zero)
                {
                    await Task.Delay(request.ThrottlePerFile, token);
                }
            });

        cancellation.ThrowIfCancellationRequested();
        if (result.PreSplit)
        {
            SplitWriter.Write(request.Type, result.Details, request.OutputDir);
        }

        SplitWriter.WriteDetails(result.Details, request.OutputDir);
        return result;
    }

    private static void CopyOne(Request request, CheckResult result, string relative)
    {
        var source = Path.Combine(request.SourceDir, relative);
        var target = Path.Combine(request.OutputDir, relative);

        if (!result.Pictures.Contains(relative))
        {
            Transfer(request, source, target);
            return;
        }

        var length = new FileInfo(source).Length;
        if (length <= request.MaxBufferedPicture)
        {
            var bytes = File.ReadAllBytes(source);
            if (!ImageFiles.Decodes(relative, bytes, bytes.Length))
            {
                throw new DatasetCheckException(DatasetMessages.ImageCorrupt(relative));
            }

            if (request.MoveFiles)
            {
                File.Move(source, target, overwrite: true);
            }
            else
            {
                File.WriteAllBytes(target, bytes);
            }

            return;
        }

        using (var stream = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        {
            if (!ImageFiles.Decodes(relative, stream))
            {
                throw new DatasetCheckException(DatasetMessages.ImageCorrupt(relative));
            }
        }

        Transfer(request, source, target);
    }

    private static void Transfer(Request request, string source, string target)
    {
        if (request.MoveFiles)
        {
            File.Move(source, target, overwrite: true);
        }
        else
        {
            File.Copy(source, target, overwrite: true);
        }
    }
}
