using System.Globalization;
using PaddleX.Cloud.Datasets.Images;
using PaddleX.Cloud.Datasets.Import;

namespace PaddleX.Cloud.Datasets.Formats;

/// <summary>docs/api-behaviour.md §4: <c>label/image</c> folders; pre-split with labels.txt and list files.</summary>
public sealed class ClassificationFormat : IDatasetFormat
{
    public CheckResult Check(CheckContext context)
    {
        var source = context.Source;
        var details = new DatasetDetails();
        var pictures = new HashSet<string>(StringComparer.Ordinal);
        if (source.Contains("train_list.txt"))
        {
            if (!source.Contains("labels.txt") || !source.Contains("val_list.txt"))
            {
                throw new DatasetCheckException(DatasetMessages.ClsSplitFilesMissing);
            }

            details.Labels.AddRange(TextFiles.Lines(source.FullPath("labels.txt")));
            foreach (var (list, subset) in Lists(details))
            {
                if (!source.Contains(list))
                {
                    continue;
                }

                foreach (var (image, index) in TextFiles.ListPairs(source.FullPath(list), list))
                {
                    context.Cancellation.ThrowIfCancellationRequested();
                    if (!source.Contains(image))
                    {
                        throw new DatasetCheckException(DatasetMessages.ImageMissing(list, image));
                    }

                    if (!int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var i) || i >= details.Labels.Count)
                    {
                        throw new DatasetCheckException(DatasetMessages.LabelIndexInvalid(list, $"{image} {index}"));
                    }

                    var label = details.Labels[i];
                    var slash = image.IndexOf('/', StringComparison.Ordinal);
                    if (slash < 0 || image[..slash] != label)
                    {
                        throw new DatasetCheckException(DatasetMessages.LabelOrderWrong);
                    }

                    if (!ImageFiles.IsPicture(image))
                    {
                        throw new DatasetCheckException(DatasetMessages.NotPicture(image));
                    }

                    details.FileInfo[image] = label;
                    DatasetFormats.AddLabelImage(details, label, image);
                    subset.Add(image);
                    pictures.Add(image);
                }
            }

            details.NormalizeLabelInfo();
            return new CheckResult(details, PreSplit: true, pictures);
        }

        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in source.Files)
        {
            var slash = file.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !ImageFiles.IsPicture(file))
            {
                continue; // root-level files are ignored
            }

            var label = file[..slash];
            if (label.Any(char.IsWhiteSpace))
            {
                throw new DatasetCheckException(DatasetMessages.LabelHasSpace(label));
            }

            labels.Add(label);
            details.FileInfo[file] = label;
            DatasetFormats.AddLabelImage(details, label, file);
            pictures.Add(file);
        }

        if (labels.Count < 2)
        {
            throw new DatasetCheckException(DatasetMessages.TooFewClasses);
        }

        details.Labels.AddRange(labels);
        details.NormalizeLabelInfo();
        return new CheckResult(details, PreSplit: false, pictures);
    }

    internal static IEnumerable<(string List, List<string> Subset)> Lists(DatasetDetails details) =>
    [
        ("train_list.txt", details.TrainFiles), ("val_list.txt", details.ValFiles), ("test_list.txt", details.TestFiles),
    ];
}
