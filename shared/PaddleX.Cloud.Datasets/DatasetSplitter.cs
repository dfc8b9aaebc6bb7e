using PaddleX.Cloud.Datasets.Formats;

namespace PaddleX.Cloud.Datasets;

/// <summary>docs/api-behaviour.md §4, seeded: the same seed gives the same split. Classification is
/// stratified: each class gives floor(n·ratio) of its own images to val and test; the slots that
/// the rounding leaves over are filled at random from the rest, so the totals are exactly the
/// original's val_n = floor(N·val_split), test_n = floor(N·test_split).</summary>
public static class DatasetSplitter
{
    public static void Split(DatasetDetails details, string datasetType, double valSplit, double testSplit, int seed)
    {
        var all = details.FileInfo.Keys.ToList();
        var n = all.Count;
        var valN = (int)Math.Floor(n * valSplit);
        var testN = (int)Math.Floor(n * testSplit);
        var trainN = n - valN - testN;
        if (trainN <= 0)
        {
            throw new DatasetCheckException(DatasetMessages.TrainEmpty);
        }

        if (valN <= 0)
        {
            throw new DatasetCheckException(DatasetMessages.ValEmpty);
        }

        var random = new Random(seed);
        List<string> train, val, test;
        if (datasetType == "classification")
        {
            val = [];
            test = [];
            var pool = new List<string>();
            var byLabel = all.ToLookup(i => details.FileInfo[i], StringComparer.Ordinal);
            foreach (var label in details.Labels)
            {
                var images = byLabel[label].ToList();
                Shuffle(images, random);
                var v = (int)Math.Floor(images.Count * valSplit);
                var t = (int)Math.Floor(images.Count * testSplit);
                val.AddRange(images.Take(v));
                test.AddRange(images.Skip(v).Take(t));
                pool.AddRange(images.Skip(v + t));
            }

            Shuffle(pool, random);
            var moreVal = valN - val.Count;
            var moreTest = testN - test.Count;
            val.AddRange(pool.Take(moreVal));
            test.AddRange(pool.Skip(moreVal).Take(moreTest));
            train = pool.Skip(moreVal + moreTest).ToList();
        }
        else
        {
            Shuffle(all, random);
            train = all.Take(trainN).ToList();
            val = all.Skip(trainN).Take(valN).ToList();
            test = all.Skip(trainN + valN).ToList();
        }

        details.TrainFiles.Clear();
        details.TrainFiles.AddRange(train);
        details.ValFiles.Clear();
        details.ValFiles.AddRange(val);
        details.TestFiles.Clear();
        details.TestFiles.AddRange(test);
    }

    private static void Shuffle(List<string> items, Random random)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}

/// <summary>Writes the split files of a dataset folder (docs/api-behaviour.md §4).</summary>
public static class SplitWriter
{
    public static void Write(string datasetType, DatasetDetails details, string directory)
    {
        var subsets = new (string Name, List<string> Files)[] { ("train", details.TrainFiles), ("val", details.ValFiles), ("test", details.TestFiles) };
        if (datasetType == "instance_segmentation")
        {
            var coco = CocoFile.Load(Path.Combine(directory, CocoFormat.AnnotationsFile));
            foreach (var (name, files) in subsets)
            {
                var names = files.Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
                AtomicWrite(Path.Combine(directory, name + ".json"), s => CocoFile.Write(s, coco.Subset(names)));
            }

            return;
        }

        var index = details.Labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        foreach (var (name, files) in subsets)
        {
            var lines = datasetType == "classification"
                ? files.Select(f => $"{f} {index[details.FileInfo[f]]}")
                : files.Select(f => $"{f} {details.FileInfo[f]}");
            AtomicWrite(Path.Combine(directory, name + "_list.txt"), s => WriteLines(s, lines));
        }

        var labels = Path.Combine(directory, "labels.txt");
        if (datasetType is "classification" or "detection" || !File.Exists(labels))
        {
            AtomicWrite(labels, s => WriteLines(s, details.Labels));
        }
    }

    public static void WriteDetails(DatasetDetails details, string directory) =>
        AtomicWrite(Path.Combine(directory, DatasetLayout.DetailsFile), details.WriteTo);

    internal static void AtomicWrite(string path, Action<Stream> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 65536))
        {
            write(stream);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static void WriteLines(Stream stream, IEnumerable<string> lines)
    {
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 65536, leaveOpen: true) { NewLine = "\n" };
        foreach (var line in lines)
        {
            writer.WriteLine(line);
        }
    }
}
