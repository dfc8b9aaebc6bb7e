using PaddleX.Cloud.Datasets.Images;
using PaddleX.Cloud.Datasets.Import;

namespace PaddleX.Cloud.Datasets.Formats;

/// <summary>The split lists of a pre-split detection or segmentation dataset (<c>picture annotation</c> per line), each
/// line checked the same way: both files listed exist, the annotation has the format's extension, the picture is a
/// picture.</summary>
internal static class AnnotatedLists
{
    /// <param name="annotationFirst">which missing file a line that lacks both reports (the original differs by format).</param>
    public static IEnumerable<(List<string> Subset, string Image, string Annotation)> Lines(
        CheckContext context, DatasetDetails details, string extension, Func<string, string> wrongExtension,
        Func<string, bool> isPicture, bool annotationFirst)
    {
        var source = context.Source;
        foreach (var (list, subset) in ClassificationFormat.Lists(details))
        {
            if (!source.Contains(list))
            {
                continue;
            }

            foreach (var (image, annotation) in TextFiles.ListPairs(source.FullPath(list), list))
            {
                context.Cancellation.ThrowIfCancellationRequested();
                string? missing = (annotationFirst ? [annotation, image] : new[] { image, annotation }).FirstOrDefault(f => !source.Contains(f));
                if (missing is not null)
                {
                    throw new DatasetCheckException(missing == image ? DatasetMessages.ImageMissing(list, image) : DatasetMessages.AnnotationMissing(list, annotation));
                }

                if (!annotation.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
                {
                    throw new DatasetCheckException(wrongExtension(annotation));
                }

                if (!isPicture(image))
                {
                    throw new DatasetCheckException(DatasetMessages.NotPicture(image));
                }

                yield return (subset, image, annotation);
            }
        }
    }
}
