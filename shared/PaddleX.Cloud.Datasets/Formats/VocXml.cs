using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace PaddleX.Cloud.Datasets.Formats;

public sealed record VocObject(string Name, double XMin, double YMin, double XMax, double YMax);

/// <summary>A Pascal VOC annotation file (DTDs refused, no external entities).</summary>
public sealed record VocAnnotation(int Width, int Height, IReadOnlyList<VocObject> Objects)
{
    private static readonly XmlReaderSettings Settings = new() { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true };

    /// <summary>Null when the file is not well-formed XML.</summary>
    public static VocAnnotation? TryRead(string path)
    {
        try
        {
            using var reader = XmlReader.Create(path, Settings);
            var doc = XDocument.Load(reader);
            var root = doc.Root!;
            var size = root.Element("size");
            var objects = root.Elements("object")
                .Select(o =>
                {
                    var box = o.Element("bndbox");
                    return new VocObject(
                        (o.Element("name")?.Value ?? string.Empty).Trim(),
                        Number(box?.Element("xmin")),
                        Number(box?.Element("ymin")),
                        Number(box?.Element("xmax")),
                        Number(box?.Element("ymax")));
                })
                .ToList();
            return new VocAnnotation((int)Number(size?.Element("width")), (int)Number(size?.Element("height")), objects);
        }
        catch (Exception e) when (e is XmlException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(Stream stream, string fileName)
    {
        var root = new XElement(
            "annotation",
            new XElement("filename", fileName),
            new XElement("size", new XElement("width", Width), new XElement("height", Height), new XElement("depth", 3)),
            Objects.Select(o => new XElement(
                "object",
                new XElement("name", o.Name),
                new XElement("difficult", 0),
                new XElement(
                    "bndbox",
                    new XElement("xmin", Format(o.XMin)),
                    new XElement("ymin", Format(o.YMin)),
                    new XElement("xmax", Format(o.XMax)),
                    new XElement("ymax", Format(o.YMax))))));
        new XDocument(root).Save(stream);
    }

    private static string Format(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static double Number(XElement? e) =>
        e is not null && double.TryParse(e.Value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;
}
