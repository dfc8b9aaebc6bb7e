using System.Globalization;
using PaddleX.Cloud.Datasets.Images;
using PaddleX.Cloud.Datasets.Import;

namespace PaddleX.Cloud.Datasets.Formats;

/// <summary>docs/api-behaviour.md §4: <c>JPEGImages/</c> + <c>Annotations/*.png</c> label maps, optional
/// labels.txt. remote_segmentation uses the same layout and also accepts TIFF images.</summary>
public sealed class SegmentationFormat(bool allowTiff) : IDatasetFormat
{
    public const int IgnoreValue = 255;

    public CheckResult Check(CheckContext context)
    {
        var source = context.Source;
        if (!source.HasFolder("Annotations"))
        {
            throw new DatasetCheckException(DatasetMessages.AnnotationsDirMissing(context.Display("Annotations")));
        }

        if (!source.HasFolder("JPEGImages"))
        {
            throw new DatasetCheckException(DatasetMessages.ImagesDirMissing(context.Display("JPEGImages")));
        }

        var details = new DatasetDetails();
        var pictures = new HashSet<string>(StringComparer.Ordinal);
        var values = new Dictionary<int, List<string>>();
        var max = -1;
        var preSplit = source.Contains("train_list.txt");
        if (preSplit)
        {
            if (!source.Contains("val_list.txt"))
            {
                throw new DatasetCheckException(DatasetMessages.SegSplitFilesMissing);
            }

            foreach (var (subset, image, png) in AnnotatedLists.Lines(context, details, ".png", DatasetMessages.NotPng, f => ImageFiles.IsPicture(f, allowTiff), annotationFirst: false))
            {
                max = Math.Max(max, AddImage(source, details, values, image, png));
                subset.Add(image);
                pictures.Add(image);
            }
        }
        else
        {
            foreach (var image in source.In("JPEGImages").Where(f => ImageFiles.IsPicture(f, allowTiff)))
            {
                context.Cancellation.ThrowIfCancellationRequested();
                var png = "Annotations/" + Path.GetFileNameWithoutExtension(image) + ".png";
                if (!source.Contains(png))
                {
                    throw new DatasetCheckException(DatasetMessages.MaskMissing(png));
                }

                max = Math.Max(max, AddImage(source, details, values, image, png));
                pictures.Add(image);
            }
        }

        List<string>? names = source.Contains("labels.txt") ? TextFiles.Lines(source.FullPath("labels.txt")) : null;
        for (var v = 0; v <= max; v++)
        {
            var files = values.GetValueOrDefault(v) ?? [];
            string key;
            if (names is null)
            {
                key = v.ToString(CultureInfo.InvariantCulture);
            }
            else if (v < names.Count)
            {
                key = names[v];
            }
            else
            {
                throw new DatasetCheckException(DatasetMessages.LabelValuesMismatch);
            }

            details.LabelInfo[key] = files;
        }

        details.Labels.AddRange(names ?? Enumerable.Range(0, max + 1).Select(v => v.ToString(CultureInfo.InvariantCulture)));
        details.NormalizeLabelInfo();
        return new CheckResult(details, preSplit, pictures);
    }

    /// <summary>Checks one image/mask pair; returns the largest class value in the mask.</summary>
    private static int AddImage(SourceListing source, DatasetDetails details, Dictionary<int, List<string>> values, string image, string png)
    {
        var size = ImageFiles.ReadSize(source.FullPath(image)) ?? throw new DatasetCheckException(DatasetMessages.ImageCorrupt(image));
        LabelMap? mask;
        using (var stream = new FileStream(source.FullPath(png), FileMode.Open, FileAccess.Read, FileShare.Read, 65536))
        {
            try
            {
                mask = LabelPng.Read(stream);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or IndexOutOfRangeException)
            {
                throw new DatasetCheckException(DatasetMessages.ImageCorrupt(png));
            }
        }

        if (mask is null)
        {
            throw new DatasetCheckException(DatasetMessages.MaskNotSingleChannel(png));
        }

        if (mask.Width != size.Width || mask.Height != size.Height)
        {
            throw new DatasetCheckException(DatasetMessages.SizeMismatch(image));
        }

        details.FileInfo[image] = png;
        var max = -1;
        foreach (var v in mask.Distinct().Where(v => v != IgnoreValue))
        {
            if (!values.TryGetValue(v, out var list))
            {
                values[v] = list = [];
            }

            list.Add(image);
            max = Math.Max(max, v);
        }

        return max;
    }
}
