using System.Globalization;

namespace PaddleX.Cloud.Vision.Data;

/// <summary>One labelled image of a classification list (<c>relpath label_index</c>).</summary>
public sealed record ClassificationSample(string Path, int Label);

/// <summary>
/// A pre-split PaddleX classification dataset folder: <c>labels.txt</c> (one label per line) and
/// <c>train_list.txt</c> / <c>val_list.txt</c> / <c>test_list.txt</c> with lines <c>relpath label_index</c>.
/// </summary>
public sealed class ClassificationDataset
{
    private ClassificationDataset(string root, IReadOnlyList<string> labels, IReadOnlyList<ClassificationSample> samples)
    {
        Root = root;
        Labels = labels;
        Samples = samples;
    }

    public string Root { get; }

    public IReadOnlyList<string> Labels { get; }

    public IReadOnlyList<ClassificationSample> Samples { get; }

    public int Count => Samples.Count;

    /// <summary>Reads <c>labels.txt</c> (blank lines ignored).</summary>
    public static IReadOnlyList<string> ReadLabels(string datasetDir)
    {
        string path = System.IO.Path.Combine(datasetDir, "labels.txt");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"labels.txt not found in {datasetDir}", path);
        }

        return File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
    }

    /// <summary>Loads one list file (e.g. <c>train_list.txt</c>) of the dataset folder.</summary>
    public static ClassificationDataset Load(string datasetDir, string listFile, IReadOnlyList<string>? labels = null)
    {
        labels ??= ReadLabels(datasetDir);
        var samples = new List<ClassificationSample>();
        foreach (var (lineNo, raw, cols) in ListFile.Read(datasetDir, listFile, 2, "relpath label_index"))
        {
            if (!int.TryParse(cols[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int label))
            {
                throw new FormatException($"{listFile}:{lineNo}: expected 'relpath label_index', got '{raw}'");
            }

            if (label < 0 || label >= labels.Count)
            {
                throw new FormatException($"{listFile}:{lineNo}: label index {label} outside 0..{labels.Count - 1}");
            }

            samples.Add(new ClassificationSample(ListFile.Resolve(datasetDir, cols[0]), label));
        }

        return new ClassificationDataset(datasetDir, labels, samples);
    }

    /// <summary>Loads the list when it exists, else returns null (e.g. an optional <c>test_list.txt</c>).</summary>
    public static ClassificationDataset? TryLoad(string datasetDir, string listFile, IReadOnlyList<string>? labels = null) =>
        File.Exists(System.IO.Path.Combine(datasetDir, listFile)) ? Load(datasetDir, listFile, labels) : null;
}
