using System.Text.Json;
using System.Text.Json.Serialization;

namespace PaddleX.Cloud.Vision.Detection.Metrics;

/// <summary>A COCO annotation file (<c>images</c>, <c>annotations</c>, <c>categories</c>) as the detection and
/// instance-segmentation engines read and write it. Field names are COCO's own; unknown fields (<c>info</c>,
/// <c>licenses</c>, …) survive a read/write round trip.</summary>
public sealed class CocoDataset
{
    [JsonPropertyName("images")]
    public List<CocoImage> Images { get; set; } = [];

    [JsonPropertyName("annotations")]
    public List<CocoAnnotation> Annotations { get; set; } = [];

    [JsonPropertyName("categories")]
    public List<CocoCategory> Categories { get; set; } = [];

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    public static CocoDataset Parse(string json) =>
        JsonSerializer.Deserialize<CocoDataset>(json, CocoJson.Options) ?? throw new InvalidDataException("the COCO annotation file is empty (null)");

    public static CocoDataset Load(string path) => Parse(File.ReadAllText(path));

    public string ToJson() => JsonSerializer.Serialize(this, CocoJson.Options);
}

public sealed class CocoImage
{
    [JsonPropertyName("id")]
    public long Id { get; set; }

    [JsonPropertyName("file_name")]
    public string FileName { get; set; } = string.Empty;

    [JsonPropertyName("width")]
    public int Width { get; set; }

    [JsonPropertyName("height")]
    public int Height { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>One ground-truth object. <see cref="Bbox"/> is <c>[x, y, w, h]</c> in pixels.</summary>
public sealed class CocoAnnotation
{
    [JsonPropertyName("id")]
    public long Id { get; set; }

    [JsonPropertyName("image_id")]
    public long ImageId { get; set; }

    [JsonPropertyName("category_id")]
    public long CategoryId { get; set; }

    [JsonPropertyName("bbox")]
    public double[] Bbox { get; set; } = [];

    [JsonPropertyName("area")]
    public double Area { get; set; }

    [JsonPropertyName("iscrowd")]
    public int IsCrowd { get; set; }

    [JsonPropertyName("segmentation")]
    public CocoSegmentation? Segmentation { get; set; }

    /// <summary>COCO's <c>ignore</c> flag. pycocotools' COCOeval overwrites it with <c>iscrowd</c>, and so does
    /// <see cref="CocoEvaluator"/>; it is kept for round trips.</summary>
    [JsonPropertyName("ignore")]
    public int? Ignore { get; set; }

    /// <summary>Pascal VOC's <c>difficult</c> flag (VOC data converted to COCO keeps it); VOC mAP skips such boxes.</summary>
    [JsonPropertyName("difficult")]
    public int? Difficult { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class CocoCategory
{
    [JsonPropertyName("id")]
    public long Id { get; set; }

    [JsonPropertyName("name")]
    public string Name { get; set; } = string.Empty;

    [JsonPropertyName("supercategory")]
    public string? Supercategory { get; set; }
}

/// <summary>One detection in COCO's result format: a box (<c>[x, y, w, h]</c>), an instance mask (compressed RLE)
/// or both, with its score.</summary>
public sealed class CocoResult
{
    [JsonPropertyName("image_id")]
    public long ImageId { get; set; }

    [JsonPropertyName("category_id")]
    public long CategoryId { get; set; }

    [JsonPropertyName("bbox")]
    public double[]? Bbox { get; set; }

    [JsonPropertyName("score")]
    public double Score { get; set; }

    [JsonPropertyName("segmentation")]
    public CocoSegmentation? Segmentation { get; set; }

    public static List<CocoResult> ParseList(string json) =>
        JsonSerializer.Deserialize<List<CocoResult>>(json, CocoJson.Options) ?? [];
}

/// <summary>A COCO <c>segmentation</c> value: polygons (<c>[[x1, y1, x2, y2, …], …]</c>) or a run-length
/// encoding <c>{size: [h, w], counts}</c> whose counts are COCO's compressed string or a plain list.</summary>
[JsonConverter(typeof(CocoSegmentationConverter))]
public sealed class CocoSegmentation
{
    public IReadOnlyList<double[]>? Polygons { get; init; }

    /// <summary>[height, width] of an RLE.</summary>
    public int[]? Size { get; init; }

    /// <summary>Compressed RLE counts (COCO's string form).</summary>
    public string? Counts { get; init; }

    /// <summary>Uncompressed RLE counts.</summary>
    public uint[]? CountList { get; init; }

    public static CocoSegmentation FromPolygons(IReadOnlyList<double[]> polygons) => new() { Polygons = polygons };

    public static CocoSegmentation FromRle(Rle rle) => new() { Size = [rle.Height, rle.Width], Counts = CocoMask.ToCompressedString(rle) };

    /// <summary>The mask as an RLE the way pycocotools' <c>annToRLE</c> makes it: polygons are rasterised at
    /// the image size and merged, an uncompressed RLE is taken as is, a compressed one decoded.</summary>
    public Rle ToRle(int imageHeight, int imageWidth)
    {
        if (Polygons is not null)
        {
            return CocoMask.Merge(CocoMask.FromPyObjects(Polygons, imageHeight, imageWidth), intersect: false);
        }

        if (Size is not { Length: 2 })
        {
            throw new InvalidDataException("an RLE segmentation needs size [height, width]");
        }

        var rle = CountList is not null
            ? new Rle(Size[0], Size[1], CountList)
            : CocoMask.FromCompressedString(Counts ?? throw new InvalidDataException("an RLE segmentation needs counts"), Size[0], Size[1]);
        var pixels = rle.Counts.Sum(c => (long)c);
        return pixels == (long)Size[0] * Size[1]
            ? rle
            : throw new InvalidDataException($"the RLE counts cover {pixels} pixels, not {Size[0]}×{Size[1]}");
    }
}

internal sealed class CocoSegmentationConverter : JsonConverter<CocoSegmentation>
{
    public override CocoSegmentation Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
        switch (root.ValueKind)
        {
            case JsonValueKind.Array:
                return new CocoSegmentation { Polygons = root.EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList() };
            case JsonValueKind.Object:
                var size = root.TryGetProperty("size", out var s) ? s.EnumerateArray().Select(v => v.GetInt32()).ToArray() : null;
                if (!root.TryGetProperty("counts", out var counts))
                {
                    throw new JsonException("an RLE segmentation needs counts");
                }

                return counts.ValueKind == JsonValueKind.String
                    ? new CocoSegmentation { Size = size, Counts = counts.GetString() }
                    : new CocoSegmentation { Size = size, CountList = counts.EnumerateArray().Select(v => v.GetUInt32()).ToArray() };
            default:
                throw new JsonException($"segmentation must be polygons or an RLE, not {root.ValueKind}");
        }
    }

    public override void Write(Utf8JsonWriter writer, CocoSegmentation value, JsonSerializerOptions options)
    {
        if (value.Polygons is not null)
        {
            writer.WriteStartArray();
            foreach (var polygon in value.Polygons)
            {
                writer.WriteStartArray();
                foreach (var v in polygon)
                {
                    writer.WriteNumberValue(v);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            return;
        }

        writer.WriteStartObject();
        writer.WritePropertyName("size");
        writer.WriteStartArray();
        foreach (var v in value.Size ?? [])
        {
            writer.WriteNumberValue(v);
        }

        writer.WriteEndArray();
        if (value.CountList is not null)
        {
            writer.WritePropertyName("counts");
            writer.WriteStartArray();
            foreach (var v in value.CountList)
            {
                writer.WriteNumberValue(v);
            }

            writer.WriteEndArray();
        }
        else
        {
            writer.WriteString("counts", value.Counts);
        }

        writer.WriteEndObject();
    }
}

/// <summary>Serializer settings for COCO files: absent optional fields are left out rather than written as null.</summary>
public static class CocoJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };
}
