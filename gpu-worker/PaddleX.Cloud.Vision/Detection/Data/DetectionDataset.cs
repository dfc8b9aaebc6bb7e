using System.Text.Json.Nodes;
using PaddleX.Cloud.Datasets;
using PaddleX.Cloud.Datasets.Formats;
using PaddleX.Cloud.Vision.Data;
using SkiaSharp;

namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>
/// One split (<c>train</c>, <c>val</c>, <c>test</c>) of an imported detection or instance-segmentation dataset folder,
/// in either layout the importer writes:
/// <list type="bullet">
/// <item>lists: <c>labels.txt</c> + <c>&lt;split&gt;_list.txt</c> with lines <c>JPEGImages/a.jpg Annotations/a.xml</c> (Pascal VOC).
/// When the folder also holds <c>annotations.json</c> (a COCO import, whose boxes the importer also wrote as VOC files)
/// the objects come from that COCO file — with crowd regions, outlines and areas the VOC files cannot hold — and the
/// data counts as COCO;</item>
/// <item>COCO: <c>&lt;split&gt;.json</c> (a COCO dict of the split's pictures) + <c>JPEGImages/</c>; labels in category-id order.</item>
/// </list>
/// Boxes are clipped to the picture; objects with an empty box are dropped, and so are pictures left without a
/// non-crowd object (PaddleX trains and evaluates on pictures with objects only).
/// </summary>
public sealed class DetectionDataset
{
    private DetectionDataset(string root, string split, IReadOnlyList<string> labels, IReadOnlyList<DetectionSample> samples, bool isCoco)
    {
        Root = root;
        Split = split;
        Labels = labels;
        Samples = samples;
        IsCoco = isCoco;
    }

    public string Root { get; }

    public string Split { get; }

    public IReadOnlyList<string> Labels { get; }

    public IReadOnlyList<DetectionSample> Samples { get; }

    public int Count => Samples.Count;

    /// <summary>COCO data: the trainer logs COCO <c>bbox_mmap</c> (AP@[.5:.95]); otherwise VOC <c>bbox_map</c>.</summary>
    public bool IsCoco { get; }

    /// <summary>True when some object has an outline (instance segmentation data).</summary>
    public bool HasOutlines => Samples.Any(s => s.Objects.Any(o => o.Polygons is not null || o.Rle is not null));

    /// <summary>Whether <paramref name="split"/> exists in either layout.</summary>
    public static bool Exists(string datasetDir, string split) =>
        File.Exists(Path.Combine(datasetDir, split + "_list.txt")) || File.Exists(Path.Combine(datasetDir, split + ".json"));

    public static DetectionDataset? TryLoad(string datasetDir, string split) => Exists(datasetDir, split) ? Load(datasetDir, split) : null;

    /// <exception cref="FileNotFoundException">the split does not exist.</exception>
    /// <exception cref="InvalidDataException">an annotation cannot be read or names an unknown class (the message names the file).</exception>
    public static DetectionDataset Load(string datasetDir, string split)
    {
        string list = split + "_list.txt";
        string cocoFile = Path.Combine(datasetDir, CocoFormat.AnnotationsFile);
        if (File.Exists(Path.Combine(datasetDir, list)))
        {
            IReadOnlyList<string> labels = ClassificationDataset.ReadLabels(datasetDir);
            var lines = ListFile.Read(datasetDir, list, 2, "image_relpath xml_relpath").ToList();
            return File.Exists(cocoFile)
                ? FromCocoFile(datasetDir, split, LoadCoco(cocoFile), labels, lines.Select(l => l.Columns[0]).ToList())
                : FromVocList(datasetDir, split, labels, lines);
        }

        string splitJson = Path.Combine(datasetDir, split + ".json");
        if (!File.Exists(splitJson))
        {
            throw new FileNotFoundException($"{list} or {split}.json not found in {datasetDir}", Path.Combine(datasetDir, list));
        }

        CocoFile coco = LoadCoco(splitJson);
        return FromCocoFile(datasetDir, split, coco, coco.Categories.Select(c => c.Name).ToList(), pictures: null);
    }

    private static DetectionDataset FromVocList(string root, string split, IReadOnlyList<string> labels, List<(int LineNo, string Raw, string[] Columns)> lines)
    {
        var index = LabelIndex(labels);
        var samples = new List<DetectionSample>();
        for (int id = 0; id < lines.Count; id++)
        {
            string image = ListFile.Resolve(root, lines[id].Columns[0]);
            string xml = ListFile.Resolve(root, lines[id].Columns[1]);
            VocAnnotation voc = VocAnnotation.TryRead(xml) ?? throw new InvalidDataException($"cannot read annotation {xml}");
            var (width, height) = voc.Width > 0 && voc.Height > 0 ? (voc.Width, voc.Height) : PictureSize(image);
            var objects = new List<DetectionObject>();
            foreach (VocObject o in voc.Objects)
            {
                if (!index.TryGetValue(o.Name, out int label))
                {
                    throw new InvalidDataException($"annotation {xml} names class '{o.Name}', which labels.txt does not list");
                }

                var (x1, y1, x2, y2) = Clip(o.XMin, o.YMin, o.XMax, o.YMax, width, height);
                if (x2 > x1 && y2 > y1)
                {
                    objects.Add(new DetectionObject(x1, y1, x2, y2, label, (double)(x2 - x1) * (y2 - y1), o.Difficult));
                }
            }

            Add(samples, new DetectionSample(id, image, Path.GetFileName(image), width, height, objects));
        }

        return new DetectionDataset(root, split, labels, samples, isCoco: false);
    }

    /// <param name="pictures">the list's picture paths (lists layout), or null for every picture of the file.</param>
    private static DetectionDataset FromCocoFile(string root, string split, CocoFile coco, IReadOnlyList<string> labels, IReadOnlyList<string>? pictures)
    {
        var index = LabelIndex(labels);
        var byName = coco.Images.GroupBy(i => Path.GetFileName(i.FileName), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        IEnumerable<(CocoImage Image, string Path)> chosen = pictures is null
            ? coco.Images.OrderBy(i => i.Id).Select(i => (i, Path.Combine(root, "JPEGImages", Path.GetFileName(i.FileName))))
            : pictures.Select(p => (byName.TryGetValue(Path.GetFileName(p), out CocoImage? i) ? i : throw new InvalidDataException($"{CocoFormat.AnnotationsFile} has no picture {p}"), ListFile.Resolve(root, p)));
        var samples = new List<DetectionSample>();
        foreach (var (image, path) in chosen)
        {
            var objects = new List<DetectionObject>();
            foreach (CocoInstance instance in coco.InstancesByImage.GetValueOrDefault(image.Id) ?? [])
            {
                string name = coco.CategoryName(instance.CategoryId);
                if (!index.TryGetValue(name, out int label))
                {
                    throw new InvalidDataException($"COCO category '{name}' of picture {image.FileName} is not a known class");
                }

                var (x1, y1, x2, y2) = Clip(instance.X1, instance.Y1, instance.X2, instance.Y2, image.Width, image.Height);
                if (!(x2 > x1 && y2 > y1))
                {
                    continue;
                }

                double area = instance.Raw["area"] is { } a ? (double)a : (double)(x2 - x1) * (y2 - y1);
                var (polygons, rle) = Outline(instance.Segmentation);
                objects.Add(new DetectionObject(x1, y1, x2, y2, label, area, Crowd: instance.IsCrowd, Polygons: polygons, Rle: rle));
            }

            Add(samples, new DetectionSample(image.Id, path, Path.GetFileName(image.FileName), image.Width, image.Height, objects));
        }

        return new DetectionDataset(root, split, labels, samples, isCoco: true);
    }

    /// <summary>
    /// The split's ground truth as a COCO dict — what <c>eval_details.json</c> stores as <c>gt</c> and COCO
    /// evaluation reads: images {id, file_name, width, height}; categories with ids 1…C in label order; one
    /// annotation per object {id (from 1), image_id, category_id, bbox [x, y, w, h], area, iscrowd, ignore,
    /// difficult, segmentation when there is an outline}. VOC <c>difficult</c> objects are marked
    /// <c>ignore</c> = 1 (the VOC metric skips them); COCO crowd regions have <c>iscrowd</c> = 1.
    /// </summary>
    public JsonObject ToCocoGroundTruth()
    {
        var images = new JsonArray();
        var annotations = new JsonArray();
        int annotationId = 0;
        foreach (DetectionSample s in Samples)
        {
            images.Add(new JsonObject { ["id"] = s.ImageId, ["file_name"] = s.FileName, ["width"] = s.Width, ["height"] = s.Height });
            foreach (DetectionObject o in s.Objects)
            {
                var annotation = new JsonObject
                {
                    ["id"] = ++annotationId,
                    ["image_id"] = s.ImageId,
                    ["category_id"] = o.Label + 1,
                    ["bbox"] = new JsonArray(o.X1, o.Y1, o.X2 - o.X1, o.Y2 - o.Y1),
                    ["area"] = o.Area,
                    ["iscrowd"] = o.Crowd ? 1 : 0,
                    ["ignore"] = o.Difficult ? 1 : 0,
                    ["difficult"] = o.Difficult ? 1 : 0,
                };
                if (o.Rle is not null)
                {
                    annotation["segmentation"] = o.Rle.DeepClone();
                }
                else if (o.Polygons is not null)
                {
                    annotation["segmentation"] = new JsonArray(o.Polygons.Select(p => (JsonNode?)new JsonArray(p.Select(v => (JsonNode?)v).ToArray())).ToArray());
                }

                annotations.Add(annotation);
            }
        }

        var categories = new JsonArray(Labels.Select((name, k) => (JsonNode?)new JsonObject { ["id"] = k + 1, ["name"] = name, ["supercategory"] = "component" }).ToArray());
        return new JsonObject { ["images"] = images, ["annotations"] = annotations, ["categories"] = categories };
    }

    private static void Add(List<DetectionSample> samples, DetectionSample sample)
    {
        if (sample.TrainObjects.Any())
        {
            samples.Add(sample);
        }
    }

    private static Dictionary<string, int> LabelIndex(IReadOnlyList<string> labels)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
        {
            index.TryAdd(labels[i], i);
        }

        return index;
    }

    private static (float, float, float, float) Clip(double x1, double y1, double x2, double y2, int width, int height) =>
        ((float)Math.Clamp(x1, 0, width), (float)Math.Clamp(y1, 0, height), (float)Math.Clamp(x2, 0, width), (float)Math.Clamp(y2, 0, height));

    private static CocoFile LoadCoco(string path)
    {
        try
        {
            return CocoFile.Load(path);
        }
        catch (DatasetCheckException e)
        {
            throw new InvalidDataException($"cannot read COCO annotations {path}: {e.Message}", e);
        }
    }

    /// <summary>COCO <c>segmentation</c>: a list of polygons, or an RLE object (kept as it is).</summary>
    private static (IReadOnlyList<float[]>? Polygons, JsonNode? Rle) Outline(JsonNode? segmentation)
    {
        switch (segmentation)
        {
            case JsonArray polygons:
                var list = polygons.OfType<JsonArray>()
                    .Select(p => p.Select(v => (float)(double)v!).ToArray())
                    .Where(p => p.Length >= 6 && p.Length % 2 == 0)
                    .ToList();
                return (list.Count > 0 ? list : null, null);
            case JsonObject rle:
                return (null, rle.DeepClone());
            default:
                return (null, null);
        }
    }

    private static (int Width, int Height) PictureSize(string path)
    {
        using var codec = SKCodec.Create(path) ?? throw new InvalidDataException($"cannot decode image {path}");
        return (codec.Info.Width, codec.Info.Height);
    }
}
