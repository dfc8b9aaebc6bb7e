namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>One annotated object of a detection picture, in picture pixels.</summary>
/// <param name="Label">0-based class index in <see cref="DetectionDataset.Labels"/> order.</param>
/// <param name="Area">the COCO <c>area</c> (the outline's area for COCO data, the box's for VOC).</param>
/// <param name="Difficult">VOC <c>difficult</c>: ignored by the VOC metric.</param>
/// <param name="Crowd">COCO <c>iscrowd</c>: kept for the ground truth, left out of training targets (as PaddleX does).</param>
/// <param name="Polygons">the instance outline as polygons (x0, y0, x1, y1, …), or null; RLE outlines are in <paramref name="Rle"/>.</param>
/// <param name="Rle">a COCO RLE <c>segmentation</c> object as it is in the file (crowd regions use it), or null.</param>
public sealed record DetectionObject(
    float X1,
    float Y1,
    float X2,
    float Y2,
    int Label,
    double Area,
    bool Difficult = false,
    bool Crowd = false,
    IReadOnlyList<float[]>? Polygons = null,
    System.Text.Json.Nodes.JsonNode? Rle = null);

/// <summary>One picture of a detection split with its objects.</summary>
/// <param name="ImageId">the COCO image id (COCO data), else the 0-based line number in the list file.</param>
/// <param name="FileName">the picture's file name (what the COCO ground truth records).</param>
public sealed record DetectionSample(long ImageId, string ImagePath, string FileName, int Width, int Height, IReadOnlyList<DetectionObject> Objects)
{
    /// <summary>The objects a detector trains on: every object except crowd regions.</summary>
    public IEnumerable<DetectionObject> TrainObjects => Objects.Where(o => !o.Crowd);
}
