using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Rcnn;

/// <summary>Reading the TorchVision R-CNN fixtures under fixtures/rcnn and comparing against them.</summary>
internal static class ParityFixture
{
    public static JsonDocument Load(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "rcnn", file)));

    /// <summary>The module's state dict has exactly the fixture's names, with its shapes.</summary>
    public static void AssertStateDict(JsonElement root, nn.Module model)
    {
        var expected = root.GetProperty("state_dict").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetInt64()).ToArray());
        var actual = model.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, p => Assert.Equal(p.Value, actual[p.Key]));
    }

    public static Tensor Values(JsonElement values) => tensor(values.EnumerateArray().Select(v => v.GetSingle()).ToArray());

    public static Tensor Rows(JsonElement rows, int width) =>
        tensor(rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray()).reshape(-1, width);

    /// <summary>Every expected box has an actual one within <paramref name="tolerance"/> and vice versa.</summary>
    public static void AssertSameBoxes(Tensor expected, Tensor actual, double tolerance)
    {
        var distance = (expected.unsqueeze(1) - actual.unsqueeze(0)).abs().amax(2);
        var worstExpected = distance.amin(1).max().item<float>();
        var worstActual = distance.amin(0).max().item<float>();
        Assert.True(worstExpected <= tolerance && worstActual <= tolerance, $"unmatched boxes: {worstExpected}, {worstActual} > {tolerance}");
    }

    public static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= tolerance, $"max abs difference {diff} > {tolerance}");
    }
}
