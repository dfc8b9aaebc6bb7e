using System.Text.Json;
using System.Text.Json.Nodes;

namespace PaddleX.Cloud.Datasets.Formats;

public sealed record CocoImage(long Id, string FileName, int Width, int Height);

public sealed record CocoInstance(long Id, long ImageId, long CategoryId, double X1, double Y1, double X2, double Y2, JsonNode? Segmentation, bool IsCrowd, JsonObject Raw);

/// <summary>A COCO annotation file, validated: every box clipped to its image and non-degenerate,
/// every area positive, every category known. Any problem is <see cref="DatasetMessages.CocoInvalid"/>.</summary>
public sealed class CocoFile
{
    private CocoFile(JsonObject root)
    {
        Root = root;
    }

    public JsonObject Root { get; }

    /// <summary>Ordered by category id.</summary>
    public List<(long Id, string Name, JsonObject Raw)> Categories { get; } = [];

    public List<CocoImage> Images { get; } = [];

    public Dictionary<long, List<CocoInstance>> InstancesByImage { get; } = [];

    /// <summary>The image objects as they appear in the file, by id.</summary>
    public Dictionary<long, JsonObject> RawImages { get; } = [];

    public string CategoryName(long id) => Categories.First(c => c.Id == id).Name;

    public static CocoFile Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var root = JsonNode.Parse(stream, documentOptions: new JsonDocumentOptions { MaxDepth = 256 }) as JsonObject
                ?? throw new DatasetCheckException(DatasetMessages.CocoInvalid);
            var coco = new CocoFile(root);
            coco.Parse();
            return coco;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException or NullReferenceException or ArgumentException or OverflowException)
        {
            throw new DatasetCheckException(DatasetMessages.CocoInvalid, e);
        }
    }

    private void Parse()
    {
        foreach (var c in Root["categories"]!.AsArray().Select(n => n!.AsObject()).OrderBy(c => (long)c["id"]!))
        {
            Categories.Add(((long)c["id"]!, (string)c["name"]!, c));
        }

        var known = Categories.Select(c => c.Id).ToHashSet();
        var images = new Dictionary<long, CocoImage>();
        foreach (var i in Root["images"]!.AsArray().Select(n => n!.AsObject()))
        {
            var image = new CocoImage((long)i["id"]!, (string)i["file_name"]!, (int)i["width"]!, (int)i["height"]!);
            if (image.Width <= 0 || image.Height <= 0 || !images.TryAdd(image.Id, image))
            {
                throw new DatasetCheckException(DatasetMessages.CocoInvalid);
            }

            Images.Add(image);
            RawImages[image.Id] = i;
        }

        foreach (var a in (Root["annotations"]?.AsArray() ?? []).Select(n => n!.AsObject()))
        {
            var imageId = (long)a["image_id"]!;
            var categoryId = (long)a["category_id"]!;
            if (!images.TryGetValue(imageId, out var image) || !known.Contains(categoryId))
            {
                throw new DatasetCheckException(DatasetMessages.CocoInvalid);
            }

            var box = a["bbox"]!.AsArray().Select(v => (double)v!).ToArray();
            if (box.Length != 4)
            {
                throw new DatasetCheckException(DatasetMessages.CocoInvalid);
            }

            var x1 = Math.Clamp(box[0], 0, image.Width);
            var y1 = Math.Clamp(box[1], 0, image.Height);
            var x2 = Math.Clamp(box[0] + box[2], 0, image.Width);
            var y2 = Math.Clamp(box[1] + box[3], 0, image.Height);
            var area = a["area"] is { } areaNode ? (double)areaNode : (x2 - x1) * (y2 - y1);
            if (area <= 0 || x2 <= x1 || y2 <= y1 || !double.IsFinite(area))
            {
                throw new DatasetCheckException(DatasetMessages.CocoInvalid);
            }

            var crowd = a["iscrowd"] is { } c && (int)c == 1;
            if (!InstancesByImage.TryGetValue(imageId, out var list))
            {
                InstancesByImage[imageId] = list = [];
            }

            list.Add(new CocoInstance(a["id"] is { } id ? (long)id : 0, imageId, categoryId, x1, y1, x2, y2, a["segmentation"], crowd, a));
        }
    }

    /// <summary>A COCO file with the given images (by file basename), their non-crowd annotations, and all categories.</summary>
    public JsonObject Subset(IReadOnlySet<string> basenames)
    {
        var images = Images.Where(i => basenames.Contains(Path.GetFileName(i.FileName))).ToList();
        var ids = images.Select(i => i.Id).ToHashSet();
        var rawImages = Root["images"]!.AsArray().Where(n => ids.Contains((long)n!["id"]!)).Select(n => n!.DeepClone());
        var anns = Root["annotations"]?.AsArray()
            .Where(n => ids.Contains((long)n!["image_id"]!) && !(n!["iscrowd"] is { } c && (int)c == 1))
            .Select(n => n!.DeepClone()) ?? [];
        return new JsonObject
        {
            ["images"] = new JsonArray(rawImages.ToArray()),
            ["annotations"] = new JsonArray(anns.ToArray()),
            ["categories"] = Root["categories"]!.DeepClone(),
        };
    }

    public static void Write(Stream stream, JsonNode node)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        node.WriteTo(writer);
    }
}
