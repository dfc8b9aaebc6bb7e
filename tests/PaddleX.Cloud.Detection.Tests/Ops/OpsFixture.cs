using System.Text.Json;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Ops;

/// <summary>fixtures/ops/ops.json (written by make_fixtures.py beside it): nested JSON arrays become tensors.</summary>
internal static class OpsFixture
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "ops", "ops.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    /// <summary>A float32 tensor shaped like the nesting of <paramref name="e"/>; an empty array is [0] unless
    /// <paramref name="emptyShape"/> says otherwise.</summary>
    public static Tensor Floats(JsonElement e, params long[] emptyShape)
    {
        var values = new List<float>();
        long[] shape = Flatten(e, values, values.Count == 0 && e.GetArrayLength() == 0 ? emptyShape : null);
        return tensor(values.ToArray(), ScalarType.Float32).reshape(shape);
    }

    public static Tensor Longs(JsonElement e)
    {
        var values = new List<float>();
        long[] shape = Flatten(e, values, null);
        return tensor(values.Select(v => (long)v).ToArray(), ScalarType.Int64).reshape(shape);
    }

    public static long[] LongArray(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    public static double[] DoubleArray(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>Asserts equal shapes and every element within <paramref name="tolerance"/> (absolute, or relative for
    /// values above 1), naming the worst element on failure.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double tolerance = 1e-5, string what = "")
    {
        Assert.Equal(expected.shape, actual.shape);
        if (expected.numel() == 0)
        {
            return;
        }

        using var e = expected.detach().to(ScalarType.Float64, CPU);
        using var a = actual.detach().to(ScalarType.Float64, CPU);
        using var error = (a - e).abs() / e.abs().clamp(min: 1);
        double worst = error.max().item<double>();
        long at = error.argmax().item<long>();
        Assert.True(worst <= tolerance,
            $"{what}: element {at} is {a.flatten()[at].item<double>()}, expected {e.flatten()[at].item<double>()} (error {worst:g3})");
    }

    private static long[] Flatten(JsonElement e, List<float> values, long[]? emptyShape)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            values.Add((float)e.GetDouble());
            return [];
        }

        int n = e.GetArrayLength();
        if (n == 0)
        {
            return emptyShape is { Length: > 0 } ? emptyShape : [0];
        }

        long[]? inner = null;
        foreach (var item in e.EnumerateArray())
        {
            inner = Flatten(item, values, null);
        }

        return [n, .. inner!];
    }
}
