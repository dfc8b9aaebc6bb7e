namespace PaddleX.Cloud.Vision.Detection.Metrics;

/// <summary>One image of a <see cref="DetectionSet"/>: its kept ground-truth objects (parallel to
/// <see cref="GroundTruth"/>) and its detections in result order.</summary>
public sealed record DetectionImage(
    CocoImage Image,
    IReadOnlyList<CocoAnnotation> Annotations,
    IReadOnlyList<VocGroundTruth> GroundTruth,
    IReadOnlyList<VocDetection> Detections);

/// <summary>
/// COCO ground truth and box results regrouped per image the way PaddleX's VOC-style metrics read them: classes
/// are the categories in file order (0-based), crowd objects and objects with a zero area or an empty clipped
/// box are dropped, ground-truth boxes are clipped to the image (corners (max(0, x), max(0, y)) to
/// (min(W − 1, x1 + w − 1), min(H − 1, y1 + h − 1))), result boxes become pixel corners unclipped.
/// </summary>
public sealed class DetectionSet
{
    private DetectionSet(IReadOnlyList<string> labels, IReadOnlyDictionary<long, int> classOf, IReadOnlyList<DetectionImage> images)
    {
        Labels = labels;
        ClassOf = classOf;
        Images = images;
    }

    /// <summary>Category names in file order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Category id → 0-based class.</summary>
    public IReadOnlyDictionary<long, int> ClassOf { get; }

    /// <summary>Every ground-truth image, in file order.</summary>
    public IReadOnlyList<DetectionImage> Images { get; }

    public static DetectionSet FromCoco(CocoDataset groundTruth, IReadOnlyList<CocoResult> results)
    {
        var classOf = new Dictionary<long, int>();
        foreach (var category in groundTruth.Categories)
        {
            if (!classOf.TryAdd(category.Id, classOf.Count))
            {
                throw new InvalidDataException($"category id {category.Id} appears twice");
            }
        }

        int Class(long categoryId) => classOf.TryGetValue(categoryId, out var c) ? c : throw new InvalidDataException($"category id {categoryId} is not one of the ground truth's categories");

        var annotations = groundTruth.Annotations.ToLookup(a => a.ImageId);
        var detections = results.ToLookup(r => r.ImageId);
        var images = new List<DetectionImage>(groundTruth.Images.Count);
        foreach (var image in groundTruth.Images)
        {
            var kept = new List<CocoAnnotation>();
            var boxes = new List<VocGroundTruth>();
            foreach (var ann in annotations[image.Id])
            {
                if (ann.IsCrowd != 0 || ann.Bbox is not { Length: 4 } b)
                {
                    continue;
                }

                var x1 = Math.Max(0, b[0]);
                var y1 = Math.Max(0, b[1]);
                var x2 = Math.Min(image.Width - 1, x1 + Math.Max(0, b[2] - 1));
                var y2 = Math.Min(image.Height - 1, y1 + Math.Max(0, b[3] - 1));
                if (ann.Area > 0 && x2 >= x1 && y2 >= y1)
                {
                    kept.Add(ann);
                    boxes.Add(new VocGroundTruth(Class(ann.CategoryId), new PixelBox(x1, y1, x2, y2), ann.Difficult is > 0));
                }
            }

            var dets = detections[image.Id]
                .Select(r => new VocDetection(Class(r.CategoryId), r.Score, PixelBox.FromCoco(r.Bbox is { Length: 4 } rb ? rb : throw new InvalidDataException($"a result of image {image.Id} has no [x, y, w, h] box"))))
                .ToList();
            images.Add(new DetectionImage(image, kept, boxes, dets));
        }

        return new DetectionSet([.. groundTruth.Categories.Select(c => c.Name)], classOf, images);
    }
}
