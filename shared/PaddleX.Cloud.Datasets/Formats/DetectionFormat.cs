using PaddleX.Cloud.Datasets.Images;
using PaddleX.Cloud.Datasets.Import;

namespace PaddleX.Cloud.Datasets.Formats;

/// <summary>docs/api-behaviour.md §4: Pascal VOC (<c>JPEGImages/</c> + <c>Annotations/*.xml</c>); also COCO
/// detection (<c>JPEGImages/</c> + <c>annotations.json</c>), converted to VOC files on import so
/// every detection dataset has the same layout.</summary>
public sealed class DetectionFormat : IDatasetFormat
{
    public CheckResult Check(CheckContext context)
    {
        var source = context.Source;
        if (!source.HasFolder("Annotations") && (source.Contains("annotations.json") || source.Contains("train.json")))
        {
            return new CocoFormat(instanceMasks: false).Check(context);
        }

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
        if (source.Contains("train_list.txt"))
        {
            if (!source.Contains("labels.txt") || !source.Contains("val_list.txt"))
            {
                throw new DatasetCheckException(DatasetMessages.ClsSplitFilesMissing);
            }

            details.Labels.AddRange(TextFiles.Lines(source.FullPath("labels.txt")));
            var known = new HashSet<string>(details.Labels, StringComparer.Ordinal);
            foreach (var (subset, image, xml) in AnnotatedLists.Lines(context, details, ".xml", DatasetMessages.NotXml, f => ImageFiles.IsPicture(f), annotationFirst: true))
            {
                var annotation = VocAnnotation.TryRead(source.FullPath(xml)) ?? throw new DatasetCheckException(DatasetMessages.MalformedXml(xml));
                if (annotation.Objects.Any(o => !known.Contains(o.Name)))
                {
                    throw new DatasetCheckException(DatasetMessages.XmlLabelsMismatch(xml));
                }

                Add(details, image, xml, annotation);
                subset.Add(image);
                pictures.Add(image);
            }

            details.NormalizeLabelInfo();
            return new CheckResult(details, PreSplit: true, pictures);
        }

        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var image in source.In("JPEGImages").Where(f => ImageFiles.IsPicture(f)))
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var xml = "Annotations/" + Path.GetFileNameWithoutExtension(image) + ".xml";
            var annotation = (source.Contains(xml) ? VocAnnotation.TryRead(source.FullPath(xml)) : null)
                ?? throw new DatasetCheckException(DatasetMessages.MalformedXml(xml));
            labels.UnionWith(annotation.Objects.Select(o => o.Name));
            Add(details, image, xml, annotation);
            pictures.Add(image);
        }

        details.Labels.AddRange(labels);
        details.NormalizeLabelInfo();
        return new CheckResult(details, PreSplit: false, pictures);
    }

    private static void Add(DatasetDetails details, string image, string xml, VocAnnotation annotation)
    {
        details.FileInfo[image] = xml;
        foreach (var name in annotation.Objects.Select(o => o.Name).Distinct(StringComparer.Ordinal))
        {
            DatasetFormats.AddLabelImage(details, name, image);
        }
    }
}
