using System.Text.Json.Nodes;
using PaddleX.Cloud.Datasets.Formats;

namespace PaddleX.Cloud.Datasets.Demo;

/// <summary>What <see cref="ShapeDetectionGenerator"/> writes.</summary>
public sealed record ShapeDetectionOptions
{
    /// <summary>Number of pictures.</summary>
    public int Count { get; init; } = 40;

    /// <summary>Each picture's width and height are drawn independently from [MinSide, MaxSide].</summary>
    public int MinSide { get; init; } = 64;

    public int MaxSide { get; init; } = 256;

    public int MinObjects { get; init; } = 1;

    public int MaxObjects { get; init; } = 4;

    /// <summary>COCO (<c>JPEGImages/</c> + <c>annotations.json</c>) instead of Pascal VOC (<c>JPEGImages/</c> + <c>Annotations/*.xml</c>).</summary>
    public bool Coco { get; init; }

    /// <summary>COCO only: each annotation carries its shape's outline as a polygon (<c>segmentation</c>), as
    /// instance segmentation needs; otherwise annotations have boxes only.</summary>
    public bool Polygons { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>JPEG (default; what the importer sees most) or lossless PNG pictures.</summary>
    public bool Png { get; init; }
}

/// <summary>
/// Coloured-shape detection pictures for tests and benchmarks: 1–4 separated objects of three classes (circle,
/// square, triangle; each class has its own two colours, so colour and outline both identify it) on a noisy grey
/// background, in the import layout of Pascal VOC or COCO. Boxes are the shapes' exact bounds, so a detector
/// that sees the shapes can reach a high mAP in a few CPU minutes. Deterministic for a seed.
/// </summary>
public static class ShapeDetectionGenerator
{
    /// <summary>Class names in label order (what <c>labels.txt</c> holds after an import: sorted).</summary>
    public static IReadOnlyList<string> Classes => DemoScene.Classes;

    /// <summary>Writes the pictures and their annotations into <paramref name="folder"/> (created) and returns it.</summary>
    public static string Write(string folder, ShapeDetectionOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinSide, 32);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSide, options.MinSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinObjects, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxObjects, options.MinObjects);
        Directory.CreateDirectory(folder);
        var random = new Random(options.Seed);
        var images = new JsonArray();
        var annotations = new JsonArray();
        var extension = options.Png ? ".png" : ".jpg";
        for (var i = 0; i < options.Count; i++)
        {
            var width = random.Next(options.MinSide, options.MaxSide + 1);
            var height = random.Next(options.MinSide, options.MaxSide + 1);
            var objects = random.Next(options.MinObjects, options.MaxObjects + 1);
            var scene = DemoScene.Random(random, width, height, objects, separate: true);
            var stem = $"shapes_{i:D4}";
            var picture = Path.Combine(folder, "JPEGImages", stem + extension);
            if (options.Png)
            {
                scene.SavePng(picture);
            }
            else
            {
                scene.SaveJpeg(picture);
            }

            if (options.Coco)
            {
                var imageId = i + 1;
                images.Add(new JsonObject { ["id"] = imageId, ["file_name"] = stem + extension, ["width"] = width, ["height"] = height });
                foreach (var shape in scene.Shapes)
                {
                    annotations.Add(CocoAnnotation(annotations.Count + 1, imageId, shape, Clipped(shape, width, height), options.Polygons));
                }
            }
            else
            {
                var voc = new VocAnnotation(width, height, scene.Shapes.Select(s =>
                {
                    var (x1, y1, x2, y2) = Clipped(s, width, height);
                    return new VocObject(s.Label, x1, y1, x2, y2);
                }).ToList());
                Directory.CreateDirectory(Path.Combine(folder, "Annotations"));
                using var file = File.Create(Path.Combine(folder, "Annotations", stem + ".xml"));
                voc.Write(file, stem + extension);
            }
        }

        if (options.Coco)
        {
            var categories = new JsonArray(DemoScene.Classes.Select((name, k) => (JsonNode?)new JsonObject { ["id"] = k + 1, ["name"] = name, ["supercategory"] = "shape" }).ToArray());
            var coco = new JsonObject { ["images"] = images, ["annotations"] = annotations, ["categories"] = categories };
            File.WriteAllText(Path.Combine(folder, CocoFormat.AnnotationsFile), coco.ToJsonString());
        }

        return folder;
    }

    /// <summary>A triangle's corners may reach a pixel or two past the border: its box stops at the picture.</summary>
    private static (double X1, double Y1, double X2, double Y2) Clipped(DemoShape shape, int width, int height) =>
        (Math.Max(0, shape.Box.X1), Math.Max(0, shape.Box.Y1), Math.Min(width, shape.Box.X2), Math.Min(height, shape.Box.Y2));

    private static JsonObject CocoAnnotation(int id, int imageId, DemoShape shape, (double X1, double Y1, double X2, double Y2) box, bool polygons)
    {
        var (x1, y1, x2, y2) = box;
        var annotation = new JsonObject
        {
            ["id"] = id,
            ["image_id"] = imageId,
            ["category_id"] = shape.Class + 1,
            ["iscrowd"] = 0,
            ["bbox"] = new JsonArray(x1, y1, x2 - x1, y2 - y1),
            ["area"] = polygons ? Math.Round(PolygonArea(shape.Points), 2) : (x2 - x1) * (y2 - y1),
        };
        if (polygons)
        {
            var flat = shape.Points.SelectMany(p => new[] { Math.Round(p.X, 2), Math.Round(p.Y, 2) }).Select(v => (JsonNode?)v).ToArray();
            annotation["segmentation"] = new JsonArray(new JsonArray(flat));
        }

        return annotation;
    }

    private static double PolygonArea((double X, double Y)[] points)
    {
        double twice = 0;
        for (int i = 0, j = points.Length - 1; i < points.Length; j = i++)
        {
            twice += (points[j].X * points[i].Y) - (points[i].X * points[j].Y);
        }

        return Math.Abs(twice) / 2;
    }
}
