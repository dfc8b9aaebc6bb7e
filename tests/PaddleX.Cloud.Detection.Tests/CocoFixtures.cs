using System.Text.Json;

namespace PaddleX.Cloud.Detection.Tests;

/// <summary>The pycocotools outputs under fixtures/coco (written by make_fixtures.py there).</summary>
internal static class CocoFixtures
{
    public const double Tolerance = 1e-6;

    private static readonly Lazy<JsonDocument> EvalDocument = new(() => Load("coco_eval.json"));
    private static readonly Lazy<JsonDocument> MaskDocument = new(() => Load("coco_mask.json"));

    public static JsonElement Eval => EvalDocument.Value.RootElement;

    public static JsonElement Mask => MaskDocument.Value.RootElement;

    public static string FixturePath(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures", "coco", name);

    private static JsonDocument Load(string name) => JsonDocument.Parse(File.ReadAllText(FixturePath(name)));

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static void Close(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance, $"{what}: expected {expected:R}, got {actual:R}");
}
