using System.Globalization;
using System.Text.Json.Nodes;

namespace PaddleX.Cloud.Api.Params;

internal static class JsonNumbers
{
    /// <summary>Any JSON number as a double, whether the node was parsed or built from an int.</summary>
    public static double AsDouble(this JsonNode node) =>
        double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    public static int AsInt(this JsonNode node) => (int)node.AsDouble();
}
