using System.Text.Json;

namespace PaddleX.Cloud.Vision.Detection.Metrics;

/// <summary>What a detection checkpoint's <c>eval_details.json</c> holds: the validation ground truth as a COCO dict,
/// the box results and, for instance segmentation, the mask results (compressed RLE).</summary>
public sealed record DetectionEvalDetails(CocoDataset GroundTruth, IReadOnlyList<CocoResult> Boxes, IReadOnlyList<CocoResult>? Masks)
{
    public const string GroundTruthKey = "gt";

    /// <summary>True when the file has the detection layout (<c>gt</c> and <c>bbox</c>).</summary>
    public static bool IsDetectionDetails(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(GroundTruthKey, out _) && doc.RootElement.TryGetProperty("bbox", out _);
    }

    public static DetectionEvalDetails Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        try
        {
            var gt = CocoDataset.Parse(root.GetProperty(GroundTruthKey).GetRawText());
            var boxes = CocoResult.ParseList(root.GetProperty("bbox").GetRawText());
            var masks = root.TryGetProperty("mask", out var m) && m.ValueKind == JsonValueKind.Array ? CocoResult.ParseList(m.GetRawText()) : null;
            return new DetectionEvalDetails(gt, boxes, masks);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)} is not a detection evaluation file: {e.Message}", e);
        }
    }

    public void Save(string path)
    {
        var details = new Dictionary<string, object> { [GroundTruthKey] = GroundTruth, ["bbox"] = Boxes };
        if (Masks is not null)
        {
            details["mask"] = Masks;
        }

        File.WriteAllText(path, JsonSerializer.Serialize(details, CocoJson.Options));
    }
}

/// <summary>One part (boxes or masks) of an offline detection report.</summary>
public sealed record DetectionReportPart(long[,] Confusion, double? Map, IReadOnlyList<ClassPrecisionRecall> Classes);

/// <summary>
/// PaddleX's offline detection and instance-segmentation evaluation from <c>eval_details.json</c> (no inference):
/// confusion matrices and precision/recall at the score and overlap thresholds (<see cref="DetectionConfusion"/>);
/// for detection the VOC 11-point mAP and APs at the overlap threshold over all detections
/// (<see cref="VocMap"/>); for instance segmentation box and mask mAP/APs from COCOeval at the single IoU
/// threshold (<see cref="CocoSingleThreshold"/>). Classes are the ground truth's categories in file order.
/// </summary>
public static class DetectionEvaluation
{
    public const string Background = "back_ground";

    public static DetectionReportPart Detection(DetectionEvalDetails details, double scoreThreshold, double overlapThreshold)
    {
        var set = DetectionSet.FromCoco(details.GroundTruth, details.Boxes);
        var confusion = BoxConfusion(set, scoreThreshold, overlapThreshold);
        var map = new VocMap(set.Labels.Count, overlapThreshold);
        foreach (var image in set.Images)
        {
            map.Update(image.Detections, image.GroundTruth);
        }

        var voc = map.Accumulate();
        return Part(confusion, voc.Map, voc.ClassAps);
    }

    public static (DetectionReportPart Boxes, DetectionReportPart Masks) InstanceSegmentation(DetectionEvalDetails details, double scoreThreshold, double overlapThreshold)
    {
        var masks = details.Masks ?? throw new InvalidDataException("the evaluation file has no mask results");
        var set = DetectionSet.FromCoco(details.GroundTruth, details.Boxes);
        var boxMap = CocoSingleThreshold.Evaluate(details.GroundTruth, details.Boxes, CocoIouType.Bbox, overlapThreshold);
        var maskMap = CocoSingleThreshold.Evaluate(details.GroundTruth, masks, CocoIouType.Segm, overlapThreshold);
        var boxes = Part(BoxConfusion(set, scoreThreshold, overlapThreshold), boxMap.Map, boxMap.ClassAps);
        return (boxes, Part(MaskConfusion(set, masks, scoreThreshold, overlapThreshold), maskMap.Map, maskMap.ClassAps));
    }

    private static DetectionConfusion BoxConfusion(DetectionSet set, double scoreThreshold, double overlapThreshold)
    {
        var confusion = new DetectionConfusion(set.Labels.Count, scoreThreshold, overlapThreshold);
        foreach (var image in set.Images)
        {
            confusion.Add(
                image.GroundTruth.Select(g => g.Label).ToList(),
                image.GroundTruth.Select(g => g.Difficult).ToList(),
                image.Detections.Select(d => (d.Label, d.Score)).ToList(),
                (d, g) => PixelBox.Iou(image.Detections[d].Box, image.GroundTruth[g].Box));
        }

        return confusion;
    }

    /// <summary>The same matching on mask IoU; difficult flags play no part for masks.</summary>
    private static DetectionConfusion MaskConfusion(DetectionSet set, IReadOnlyList<CocoResult> masks, double scoreThreshold, double overlapThreshold)
    {
        var confusion = new DetectionConfusion(set.Labels.Count, scoreThreshold, overlapThreshold);
        var byImage = masks.ToLookup(m => m.ImageId);
        foreach (var image in set.Images)
        {
            var (h, w) = (image.Image.Height, image.Image.Width);
            var gtMasks = image.Annotations.Select(a => (a.Segmentation ?? throw new InvalidDataException($"annotation {a.Id} has no segmentation")).ToRle(h, w)).ToList();
            var dets = byImage[image.Image.Id].ToList();
            var dtMasks = dets.Select(d => (d.Segmentation ?? throw new InvalidDataException($"a mask result of image {d.ImageId} has no segmentation")).ToRle(h, w)).ToList();
            var iou = CocoMask.Iou(dtMasks, gtMasks, gtMasks.Select(_ => false).ToList());
            confusion.Add(
                image.GroundTruth.Select(g => g.Label).ToList(),
                image.GroundTruth.Select(_ => false).ToList(),
                dets.Select(d => (set.ClassOf.TryGetValue(d.CategoryId, out var c) ? c : throw new InvalidDataException($"category id {d.CategoryId} is not one of the ground truth's categories"), d.Score)).ToList(),
                (d, g) => iou[d, g]);
        }

        return confusion;
    }

    private static DetectionReportPart Part(DetectionConfusion confusion, double? map, IReadOnlyList<double?> aps) =>
        new(confusion.Matrix, map, Enumerable.Range(0, confusion.Classes).Select(c =>
        {
            var (precision, recall) = confusion.PrecisionRecall(c);
            return new ClassPrecisionRecall(precision, recall, aps[c]);
        }).ToList());
}
