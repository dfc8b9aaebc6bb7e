using PaddleX.Cloud.Datasets.Images;

namespace PaddleX.Cloud.Vision.Data;

/// <summary>One picture of a segmentation list with its label map (<c>image_relpath mask_relpath</c>).</summary>
public sealed record SegmentationSample(string Image, string Mask);

/// <summary>
/// A split PaddleX segmentation (or remote-sensing) dataset folder: <c>labels.txt</c> (class of pixel value
/// i on line i) and <c>train_list.txt</c> / <c>val_list.txt</c> / <c>test_list.txt</c> with lines
/// <c>JPEGImages/a.jpg Annotations/a.png</c>. Mask value 255 is ignored.
/// </summary>
public sealed class SegmentationDataset
{
    public const int IgnoreLabel = 255;

    private SegmentationDataset(string root, IReadOnlyList<string> labels, IReadOnlyList<SegmentationSample> samples)
    {
        Root = root;
        Labels = labels;
        Samples = samples;
    }

    public string Root { get; }

    public IReadOnlyList<string> Labels { get; }

    public IReadOnlyList<SegmentationSample> Samples { get; }

    public int Count => Samples.Count;

    public static SegmentationDataset Load(string datasetDir, string listFile, IReadOnlyList<string>? labels = null)
    {
        labels ??= ClassificationDataset.ReadLabels(datasetDir);
        var samples = ListFile.Read(datasetDir, listFile, 2, "image_relpath mask_relpath")
            .Select(l => new SegmentationSample(ListFile.Resolve(datasetDir, l.Columns[0]), ListFile.Resolve(datasetDir, l.Columns[1])))
            .ToList();
        return new SegmentationDataset(datasetDir, labels, samples);
    }

    public static SegmentationDataset? TryLoad(string datasetDir, string listFile, IReadOnlyList<string>? labels = null) =>
        File.Exists(Path.Combine(datasetDir, listFile)) ? Load(datasetDir, listFile, labels) : null;

    /// <summary>Reads a label map (grayscale or palette PNG: pixel values, not colours).</summary>
    /// <exception cref="InvalidDataException">unreadable or not single-channel (the message names the file).</exception>
    public static LabelMap ReadMask(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"cannot find label map {path}");
        }

        try
        {
            using var stream = File.OpenRead(path);
            return LabelPng.Read(stream) ?? throw new InvalidDataException($"label map {path} is not a single-channel PNG");
        }
        catch (Exception e) when (e is IOException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"cannot decode label map {path}: {e.Message}", e);
        }
    }

    /// <summary>Decodes a sample and checks it: same size, every mask value a class or 255.</summary>
    /// <exception cref="InvalidDataException">the message names the offending file.</exception>
    public static (RasterImage Image, LabelMap Mask) Read(SegmentationSample sample, int classes)
    {
        RasterImage image = RasterImage.Load(sample.Image);
        LabelMap mask = ReadMask(sample.Mask);
        if (mask.Width != image.Width || mask.Height != image.Height)
        {
            throw new InvalidDataException($"label map {sample.Mask} is {mask.Width}×{mask.Height} but image {sample.Image} is {image.Width}×{image.Height}");
        }

        foreach (ushort v in mask.Values)
        {
            if (v >= classes && v != IgnoreLabel)
            {
                throw new InvalidDataException($"label map {sample.Mask} has value {v}, but there are only {classes} classes (0–{classes - 1}, 255 = ignore)");
            }
        }

        return (image, mask);
    }
}
