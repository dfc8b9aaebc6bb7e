using System.Text.Json;

namespace PaddleX.Cloud.Datasets;

/// <summary>The <c>details</c> object of docs/api-behaviour.md §4 (the original's statis.pkl), stored as JSON.
/// Relative paths use '/'.</summary>
public sealed class DatasetDetails
{
    public static readonly IReadOnlyList<string> Fields =
    [
        "file_info", "label_info", "labels", "train_files", "val_files", "test_files",
        "class_train_file_list", "class_val_file_list", "class_test_file_list",
    ];

    /// <summary>Image relpath → label name (classification) or annotation relpath (other types), in listing order.</summary>
    public Dictionary<string, string> FileInfo { get; } = new(StringComparer.Ordinal);

    /// <summary>Label → images carrying it, in <see cref="Labels"/> order.</summary>
    public Dictionary<string, List<string>> LabelInfo { get; } = new(StringComparer.Ordinal);

    public List<string> Labels { get; } = [];

    public List<string> TrainFiles { get; } = [];

    public List<string> ValFiles { get; } = [];

    public List<string> TestFiles { get; } = [];

    public bool IsSplit => TrainFiles.Count > 0;

    /// <summary>label_info with its keys in <see cref="Labels"/> order (labels without images get an empty list).</summary>
    public void NormalizeLabelInfo()
    {
        var ordered = Labels.ToDictionary(l => l, l => LabelInfo.TryGetValue(l, out var files) ? files : [], StringComparer.Ordinal);
        foreach (var (label, files) in LabelInfo.Where(kv => !ordered.ContainsKey(kv.Key)))
        {
            ordered[label] = files;
        }

        LabelInfo.Clear();
        foreach (var (k, v) in ordered)
        {
            LabelInfo[k] = v;
        }
    }

    public Dictionary<string, List<string>> ClassFileList(IReadOnlyCollection<string> subset)
    {
        var set = subset as ISet<string> ?? new HashSet<string>(subset, StringComparer.Ordinal);
        return LabelInfo.ToDictionary(kv => kv.Key, kv => kv.Value.Where(set.Contains).ToList(), StringComparer.Ordinal);
    }

    public void WriteTo(Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteStartArray("fields");
        foreach (var f in Fields)
        {
            json.WriteStringValue(f);
        }

        json.WriteEndArray();
        json.WriteStartObject("file_info");
        foreach (var (k, v) in FileInfo)
        {
            json.WriteString(k, v);
        }

        json.WriteEndObject();
        WriteMap(json, "label_info", LabelInfo);
        WriteList(json, "labels", Labels);
        WriteList(json, "train_files", TrainFiles);
        WriteList(json, "val_files", ValFiles);
        WriteList(json, "test_files", TestFiles);
        WriteMap(json, "class_train_file_list", ClassFileList(new HashSet<string>(TrainFiles, StringComparer.Ordinal)));
        WriteMap(json, "class_val_file_list", ClassFileList(new HashSet<string>(ValFiles, StringComparer.Ordinal)));
        WriteMap(json, "class_test_file_list", ClassFileList(new HashSet<string>(TestFiles, StringComparer.Ordinal)));
        json.WriteEndObject();
    }

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        WriteTo(buffer);
        return buffer.ToArray();
    }

    public static DatasetDetails Read(Stream stream)
    {
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        var details = new DatasetDetails();
        foreach (var p in root.GetProperty("file_info").EnumerateObject())
        {
            details.FileInfo[p.Name] = p.Value.GetString() ?? string.Empty;
        }

        details.Labels.AddRange(Strings(root.GetProperty("labels")));
        foreach (var p in root.GetProperty("label_info").EnumerateObject())
        {
            details.LabelInfo[p.Name] = Strings(p.Value).ToList();
        }

        details.TrainFiles.AddRange(Strings(root.GetProperty("train_files")));
        details.ValFiles.AddRange(Strings(root.GetProperty("val_files")));
        details.TestFiles.AddRange(Strings(root.GetProperty("test_files")));
        return details;
    }

    private static IEnumerable<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString() ?? string.Empty);

    private static void WriteList(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values)
        {
            json.WriteStringValue(v);
        }

        json.WriteEndArray();
    }

    private static void WriteMap(Utf8JsonWriter json, string name, Dictionary<string, List<string>> map)
    {
        json.WriteStartObject(name);
        foreach (var (k, v) in map)
        {
            WriteList(json, k, v);
        }

        json.WriteEndObject();
    }
}
