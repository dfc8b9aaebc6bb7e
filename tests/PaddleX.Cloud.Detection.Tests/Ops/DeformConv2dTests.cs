using System.Text.Json;
using PaddleX.Cloud.Vision.Detection.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Ops;

/// <summary>Deformable convolution v2 against torchvision's <c>deform_conv2d</c> (fixtures/dcn/make_fixtures.py):
/// forward, and the gradients of input, offset, mask, weight and bias, in float32.</summary>
public sealed class DeformConv2dTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Cases() => new(Fixture().RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_gradients_equal_torchvision(string name)
    {
        using var doc = Fixture();
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        using var scope = NewDisposeScope();
        var input = Load(c, "input", "input_shape").requires_grad_();
        var offset = Load(c, "offset", "offset_shape").requires_grad_();
        var weight = Load(c, "weight", "weight_shape").requires_grad_();
        var bias = Load(c, "bias", null).requires_grad_();
        var mask = c.TryGetProperty("mask", out _) ? Load(c, "mask", "mask_shape").requires_grad_() : null;

        var output = DeformConv2d.Apply(
            input, offset, weight, bias, mask,
            c.GetProperty("stride").GetInt64(), c.GetProperty("padding").GetInt64(), c.GetProperty("dilation").GetInt64());
        AssertClose(c, "output", output);
        output.mul(Load(c, "grad_output", "output_shape")).sum().backward();

        AssertClose(c, "grad_input", input.grad!);
        AssertClose(c, "grad_offset", offset.grad!);
        AssertClose(c, "grad_weight", weight.grad!);
        AssertClose(c, "grad_bias", bias.grad!);
        if (mask is not null)
        {
            AssertClose(c, "grad_mask", mask.grad!);
        }
    }

    [Fact]
    public void The_module_starts_as_a_plain_convolution_with_every_tap_at_half_weight()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        using var dcn = new DeformConv2d(4, 6, 3, stride: 2);
        var input = randn(2, 4, 9, 7);
        var weight = dcn.state_dict()["weight"];
        var expected = nn.functional.conv2d(input, weight, strides: [2], padding: [1]).mul(0.5);
        var actual = dcn.call(input);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5));
        Assert.Equal(["weight", "conv_offset.weight", "conv_offset.bias"], dcn.state_dict().Keys);

        // The offsets learn: the offset convolution gets a gradient once the loss depends on where taps sample.
        actual.pow(2).sum().backward();
        Assert.True(dcn.named_parameters().Single(p => p.name == "conv_offset.weight").parameter.grad!.abs().sum().item<float>() > 0);
    }

    private static JsonDocument Fixture() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "dcn", "dcn.json")));

    private static Tensor Load(JsonElement c, string key, string? shapeKey)
    {
        var values = c.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        var shape = shapeKey is null ? [values.Length] : c.GetProperty(shapeKey).EnumerateArray().Select(v => v.GetInt64()).ToArray();
        return tensor(values).reshape(shape);
    }

    private static void AssertClose(JsonElement c, string key, Tensor actual)
    {
        var expected = c.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var got = actual.detach().to_type(ScalarType.Float64).reshape(-1).data<double>().ToArray();
        Assert.Equal(expected.Length, got.Length);
        var worst = expected.Zip(got, (e, a) => Math.Abs(e - a) / Math.Max(1, Math.Abs(e))).Max();
        Assert.True(worst <= Tolerance, $"{key}: largest difference {worst:G3} > {Tolerance}");
    }
}
