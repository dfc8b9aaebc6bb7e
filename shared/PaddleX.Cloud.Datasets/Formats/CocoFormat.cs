using System.Text.Json.Nodes;
using PaddleX.Cloud.Datasets.Images;

namespace PaddleX.Cloud.Datasets.Formats;

/// <summary>docs/api-behaviour.md §4: COCO (<c>JPEGImages/</c> + <c>annotations.json</c>, or pre-split
/// train.json/val.json(/test.json)). Instance segmentation writes one
/// <c>Annotations/&lt;stem&gt;.json</c> per image ({h, w, gt_class, gt_bbox, gt_poly}; JSON instead of
/// the original's pickled .npy); COCO detection writes one VOC <c>Annotations/&lt;stem&gt;.xml</c>.</summary>
public sealed class CocoFormat(bool instanceMasks) : IDatasetFormat
{
    public const string AnnotationsFile = "annotations.json";

    public CheckResult Check(CheckContext context)
    {
        var source = context.Source;
        if (!source.HasFolder("JPEGImages"))
        {
            throw new DatasetCheckException(DatasetMessages.ImagesDirMissing(context.Display("JPEGImages")));
        }

        var details = new DatasetDetails();
        var pictures = new HashSet<string>(StringComparer.Ordinal);
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        var preSplit = source.Contains("train.json");
        var parts = new List<(CocoFile Coco, List<string>? Subset)>();
        if (preSplit)
        {
            if (!source.Contains("val.json"))
            {
                throw new DatasetCheckException(DatasetMessages.CocoSplitFilesMissing);
            }

            parts.Add((CocoFile.Load(source.FullPath("train.json")), details.TrainFiles));
            parts.Add((CocoFile.Load(source.FullPath("val.json")), details.ValFiles));
            if (source.Contains("test.json"))
            {
                parts.Add((CocoFile.Load(source.FullPath("test.json")), details.TestFiles));
            }
        }
        else
        {
            if (!source.Contains(AnnotationsFile))
            {
                throw new DatasetCheckException(DatasetMessages.CocoFileMissing(context.DisplayRoot));
            }

            parts.Add((CocoFile.Load(source.FullPath(AnnotationsFile)), null));
        }

        var missing = parts.SelectMany(p => p.Coco.Images)
            .Select(i => Path.GetFileName(i.FileName))
            .Where(name => !source.Contains("JPEGImages/" + name))
            .ToList();
        if (missing.Count > 0)
        {
            throw new DatasetCheckException(DatasetMessages.CocoImagesMissing(missing[0], missing.Count));
        }

        foreach (var (coco, subset) in parts)
        {
            foreach (var image in coco.Images)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                var name = Path.GetFileName(image.FileName);
                var relative = "JPEGImages/" + name;
                if (!ImageFiles.IsPicture(name))
                {
                    throw new DatasetCheckException(DatasetMessages.NotPicture(relative));
                }

                var instances = coco.InstancesByImage.GetValueOrDefault(image.Id) ?? [];
                var annotation = "Annotations/" + Path.GetFileNameWithoutExtension(name) + (instanceMasks ? ".json" : ".xml");
                if (instanceMasks)
                {
                    context.WriteGenerated(annotation, s => CocoFile.Write(s, InstanceJson(coco, image, instances)));
                }
                else
                {
                    var voc = new VocAnnotation(image.Width, image.Height, instances.Where(i => !i.IsCrowd).Select(i => new VocObject(coco.CategoryName(i.CategoryId), i.X1, i.Y1, i.X2, i.Y2)).ToList());
                    context.WriteGenerated(annotation, s => voc.Write(s, name));
                }

                details.FileInfo[relative] = annotation;
                foreach (var label in instances.Select(i => coco.CategoryName(i.CategoryId)).Distinct(StringComparer.Ordinal))
                {
                    labels.Add(label);
                    DatasetFormats.AddLabelImage(details, label, relative);
                }

                subset?.Add(relative);
                pictures.Add(relative);
            }
        }

        if (preSplit && !source.Contains(AnnotationsFile))
        {
            context.WriteGenerated(AnnotationsFile, s => CocoFile.Write(s, Merge(parts.Select(p => p.Coco).ToList())));
        }

        details.Labels.AddRange(labels);
        details.NormalizeLabelInfo();
        return new CheckResult(details, preSplit, pictures);
    }

    /// <summary>The per-image annotation: h, w, gt_class (names), gt_bbox (x1, y1, x2, y2), gt_poly (COCO segmentation: polygons or RLE), is_crowd.</summary>
    public static JsonObject InstanceJson(CocoFile coco, CocoImage image, IReadOnlyList<CocoInstance> instances) => new()
    {
        ["h"] = image.Height,
        ["w"] = image.Width,
        ["gt_class"] = new JsonArray(instances.Select(i => (JsonNode?)coco.CategoryName(i.CategoryId)).ToArray()),
        ["gt_bbox"] = new JsonArray(instances.Select(i => (JsonNode?)new JsonArray(i.X1, i.Y1, i.X2, i.Y2)).ToArray()),
        ["gt_poly"] = new JsonArray(instances.Select(i => i.Segmentation?.DeepClone()).ToArray()),
        ["is_crowd"] = new JsonArray(instances.Select(i => (JsonNode?)(i.IsCrowd ? 1 : 0)).ToArray()),
    };

    /// <summary>train/val/test merged: image and annotation ids renumbered from 0, categories from the first (train).</summary>
    private static JsonObject Merge(List<CocoFile> parts)
    {
        var categories = parts[0].Categories;
        var byName = categories.ToDictionary(c => c.Name, c => c.Id, StringComparer.Ordinal);
        var images = new JsonArray();
        var annotations = new JsonArray();
        long imageId = 0, annotationId = 0;
        foreach (var coco in parts)
        {
            foreach (var image in coco.Images)
            {
                var raw = coco.RawImages[image.Id].DeepClone().AsObject();
                raw["id"] = imageId;
                images.Add(raw);
                foreach (var instance in coco.InstancesByImage.GetValueOrDefault(image.Id) ?? [])
                {
                    var ann = instance.Raw.DeepClone().AsObject();
                    ann["id"] = annotationId++;
                    ann["image_id"] = imageId;
                    ann["category_id"] = byName.TryGetValue(coco.CategoryName(instance.CategoryId), out var id) ? id : throw new DatasetCheckException(DatasetMessages.CocoInvalid);
                    annotations.Add(ann);
                }

                imageId++;
            }
        }

        return new JsonObject
        {
            ["images"] = images,
            ["annotations"] = annotations,
            ["categories"] = new JsonArray(categories.Select(c => (JsonNode?)c.Raw.DeepClone()).ToArray()),
        };
    }
}
