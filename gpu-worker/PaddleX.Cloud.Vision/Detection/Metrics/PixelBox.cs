namespace PaddleX.Cloud.Vision.Detection.Metrics;

/// <summary>
/// PaddleX's box convention for unnormalised pixel boxes: corners are inclusive pixel indices, so a box covers
/// (x2 − x1 + 1) × (y2 − y1 + 1) pixels, and boxes that touch count as disjoint. A COCO <c>[x, y, w, h]</c> box is
/// the corners (x, y, x + w − 1, y + h − 1): the overlap of two boxes is then their continuous overlap.
/// </summary>
public readonly record struct PixelBox(double X1, double Y1, double X2, double Y2)
{
    public static PixelBox FromCoco(IReadOnlyList<double> xywh) => new(xywh[0], xywh[1], xywh[0] + xywh[2] - 1, xywh[1] + xywh[3] - 1);

    public double Area => (X2 - X1 + 1) * (Y2 - Y1 + 1);

    public static double Iou(PixelBox a, PixelBox b)
    {
        if (a.X1 >= b.X2 || a.X2 <= b.X1 || a.Y1 >= b.Y2 || a.Y2 <= b.Y1)
        {
            return 0;
        }

        var inter = new PixelBox(Math.Max(a.X1, b.X1), Math.Max(a.Y1, b.Y1), Math.Min(a.X2, b.X2), Math.Min(a.Y2, b.Y2)).Area;
        return inter / (a.Area + b.Area - inter);
    }
}
