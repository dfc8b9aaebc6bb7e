using System.Text;

namespace PaddleX.Cloud.Datasets.Import;

/// <summary>Text files of a dataset: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030
/// (the original detected the encoding with chardet).</summary>
public static class TextFiles
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    static TextFiles() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static string Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.AsSpan().StartsWith("\uFEFF"u8))
        {
            return Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        }

        if (bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF)))
        {
            using var reader = new StreamReader(new MemoryStream(bytes), detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.GetEncoding("GB18030").GetString(bytes);
        }
    }

    /// <summary>Non-blank lines, trimmed.</summary>
    public static List<string> Lines(string path) =>
        Read(path).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();

    /// <summary>Lines of a <c>*_list.txt</c>: exactly two whitespace-separated columns each.</summary>
    public static List<(string First, string Second)> ListPairs(string path, string displayName)
    {
        var pairs = new List<(string, string)>();
        foreach (var line in Lines(path))
        {
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                throw new DatasetCheckException(DatasetMessages.ListFormat(displayName));
            }

            pairs.Add((Normalize(parts[0]), Normalize(parts[1])));
        }

        return pairs;
    }

    /// <summary>A relative path in a list file, with '/' and without a leading "./".</summary>
    public static string Normalize(string relative)
    {
        var p = relative.Replace('\\', '/');
        while (p.StartsWith("./", StringComparison.Ordinal))
        {
            p = p[2..];
        }

        return p.TrimStart('/');
    }
}
