namespace PaddleX.Cloud.Vision.Detection.Data;

/// <summary>Polygon geometry the transforms and the mask rasteriser need.</summary>
internal static class PolygonClip
{
    /// <summary>Clips each polygon to the window (Sutherland–Hodgman; the outlines are convex or simple) and moves it
    /// to the window's coordinates. Null when nothing of the outline is left.</summary>
    public static IReadOnlyList<float[]>? ToWindow(IReadOnlyList<float[]> polygons, float x1, float y1, float x2, float y2)
    {
        var result = new List<float[]>();
        foreach (float[] polygon in polygons)
        {
            var points = new List<(float X, float Y)>();
            for (int k = 0; k + 1 < polygon.Length; k += 2)
            {
                points.Add((polygon[k], polygon[k + 1]));
            }

            points = Clip(points, p => p.X >= x1, (a, b) => Cross(a, b, x1, vertical: true));
            points = Clip(points, p => p.X <= x2, (a, b) => Cross(a, b, x2, vertical: true));
            points = Clip(points, p => p.Y >= y1, (a, b) => Cross(a, b, y1, vertical: false));
            points = Clip(points, p => p.Y <= y2, (a, b) => Cross(a, b, y2, vertical: false));
            if (points.Count >= 3)
            {
                result.Add(points.SelectMany(p => new[] { p.X - x1, p.Y - y1 }).ToArray());
            }
        }

        return result.Count > 0 ? result : null;
    }

    /// <summary>Rasterises polygons (even-odd rule, pixel centres) into a <paramref name="width"/>×<paramref name="height"/>
    /// mask row-major, setting covered pixels to 1.</summary>
    public static void Fill(IReadOnlyList<float[]> polygons, int width, int height, Span<byte> mask)
    {
        var crossings = new List<float>();
        for (int y = 0; y < height; y++)
        {
            float cy = y + 0.5f;
            foreach (float[] p in polygons)
            {
                crossings.Clear();
                int n = p.Length / 2;
                for (int i = 0, j = n - 1; i < n; j = i++)
                {
                    float xi = p[2 * i], yi = p[(2 * i) + 1], xj = p[2 * j], yj = p[(2 * j) + 1];
                    if ((yi > cy) != (yj > cy))
                    {
                        crossings.Add(xi + ((cy - yi) * (xj - xi) / (yj - yi)));
                    }
                }

                crossings.Sort();
                for (int k = 0; k + 1 < crossings.Count; k += 2)
                {
                    int from = Math.Max(0, (int)Math.Ceiling(crossings[k] - 0.5f));
                    int to = Math.Min(width - 1, (int)Math.Floor(crossings[k + 1] - 0.5f));
                    for (int x = from; x <= to; x++)
                    {
                        mask[(y * width) + x] = 1;
                    }
                }
            }
        }
    }

    private static List<(float X, float Y)> Clip(List<(float X, float Y)> points, Func<(float X, float Y), bool> inside, Func<(float X, float Y), (float X, float Y), (float X, float Y)> cross)
    {
        var output = new List<(float X, float Y)>();
        for (int i = 0; i < points.Count; i++)
        {
            var current = points[i];
            var previous = points[(i + points.Count - 1) % points.Count];
            bool cin = inside(current), pin = inside(previous);
            if (cin)
            {
                if (!pin)
                {
                    output.Add(cross(previous, current));
                }

                output.Add(current);
            }
            else if (pin)
            {
                output.Add(cross(previous, current));
            }
        }

        return output;
    }

    private static (float X, float Y) Cross((float X, float Y) a, (float X, float Y) b, float at, bool vertical)
    {
        float t = vertical ? (at - a.X) / (b.X - a.X) : (at - a.Y) / (b.Y - a.Y);
        return vertical ? (at, a.Y + (t * (b.Y - a.Y))) : (a.X + (t * (b.X - a.X)), at);
    }
}
