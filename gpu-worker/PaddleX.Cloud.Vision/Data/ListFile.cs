namespace PaddleX.Cloud.Vision.Data;

/// <summary>Reads a PaddleX list file (<c>train_list.txt</c>, …): one sample per non-blank line, columns
/// separated by white space.</summary>
internal static class ListFile
{
    /// <summary>The columns of every line, with its number and raw text for error messages.</summary>
    /// <exception cref="FileNotFoundException">the list does not exist.</exception>
    /// <exception cref="FormatException">a line does not have <paramref name="columns"/> columns (the message names file and line).</exception>
    public static IEnumerable<(int LineNo, string Raw, string[] Columns)> Read(string datasetDir, string listFile, int columns, string expected)
    {
        string listPath = Path.Combine(datasetDir, listFile);
        if (!File.Exists(listPath))
        {
            throw new FileNotFoundException($"{listFile} not found in {datasetDir}", listPath);
        }

        int lineNo = 0;
        foreach (string raw in File.ReadLines(listPath))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            string[] cols = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length != columns)
            {
                throw new FormatException($"{listFile}:{lineNo}: expected '{expected}', got '{raw}'");
            }

            yield return (lineNo, raw, cols);
        }
    }

    /// <summary>A list path (either slash) as a path under the dataset folder.</summary>
    public static string Resolve(string datasetDir, string relative) => Path.Combine(datasetDir, relative.Replace('\\', '/'));
}
