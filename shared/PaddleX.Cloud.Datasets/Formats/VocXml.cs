using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace PaddleX.Cloud.Datasets.Formats;

/// <param name="Difficult">VOC <c>difficult</c> (a missing or unreadable value is 0, as PaddleX reads it).</param>
public sealed record VocObject(string Name, double XMin, double YMin, double XMax, double YMax, bool Difficult = false);

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
                        Number(box?.Element("ymax")),
                        Number(o.Element("difficult")) >= 1);
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
                new XElement("difficult", o.Difficult ? 1 : 0),
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
