using System.Text.Json;
using PaddleX.Cloud.Vision.Detection.Ops;
using static PaddleX.Cloud.Detection.Tests.Ops.OpsFixture;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Ops;

/// <summary>RoIAlign forward and input gradient, and the FPN pooler, against torchvision 0.14 (boxes inside, across
/// and outside the map, smaller than a cell, fixed and adaptive sampling, aligned and not).</summary>
public class RoiAlignGoldenTests
{
    private static JsonElement Fixture => Root.GetProperty("roi_align");

    public static TheoryData<int> Configs() => new(Enumerable.Range(0, Fixture.GetProperty("cases").GetArrayLength()));

    [Theory]
    [MemberData(nameof(Configs))]
    public void Forward_and_input_gradient_match_torchvision(int index)
    {
        JsonElement c = Fixture.GetProperty("cases")[index];
        using var input = Floats(Fixture.GetProperty("input")).requires_grad_(true);
        using var rois = Floats(Fixture.GetProperty("rois"));
        using var output = RoiAlign.Apply(input, rois, c.GetProperty("output_height").GetInt32(), c.GetProperty("output_width").GetInt32(),
            c.GetProperty("spatial_scale").GetDouble(), c.GetProperty("sampling_ratio").GetInt32(), c.GetProperty("aligned").GetBoolean());
        AssertClose(Floats(c.GetProperty("output")), output, what: "output");

        using var upstream = Floats(c.GetProperty("upstream"));
        (output * upstream).sum().backward();
        AssertClose(Floats(c.GetProperty("grad")), input.grad!, what: "input gradient");
    }

    [Fact]
    public void No_rois_give_an_empty_result_of_the_right_shape()
    {
        using var input = randn(1, 3, 8, 8);
        using var rois = zeros(0, 5);
        using var output = RoiAlign.Apply(input, rois, 7, 7, 1.0, 2, aligned: true);
        Assert.Equal([0L, 3, 7, 7], output.shape);
    }

    [Fact]
    public void A_batch_index_outside_the_input_is_rejected()
    {
        using var input = randn(1, 3, 8, 8);
        using var rois = tensor(new float[] { 1, 0, 0, 4, 4 }).reshape(1, 5);
        Assert.Throws<ArgumentException>(() => RoiAlign.Apply(input, rois, 2, 2, 1.0, 2, aligned: false));
    }

    [Fact]
    public void Multi_scale_pooler_maps_levels_and_pools_like_torchvision()
    {
        JsonElement f = Root.GetProperty("multiscale_roi_align");
        var features = f.GetProperty("features").EnumerateArray().Select(e => Floats(e)).ToList();
        var boxes = f.GetProperty("boxes").EnumerateArray().Select(e => Floats(e)).ToList();
        var sizes = f.GetProperty("image_sizes").EnumerateArray().Select(s => (s[0].GetInt64(), s[1].GetInt64())).ToList();
        var pooler = new MultiScaleRoiAlign(f.GetProperty("output_height").GetInt32(), f.GetProperty("output_width").GetInt32(), f.GetProperty("sampling_ratio").GetInt32());
        using var output = pooler.Apply(features, boxes, sizes);
        AssertClose(Floats(f.GetProperty("output")), output, what: "pooled");
        Assert.Equal([0.25, 0.125, 0.0625], MultiScaleRoiAlign.Scales(features, sizes));
        // Boxes up to ~78×61 px are below 224/4: finest level (k = 2); 300×300 px (k = 4.4) is the coarsest.
        Assert.Equal([0L, 0, 0, 0, 2], pooler.MapLevels(boxes, MultiScaleRoiAlign.Scales(features, sizes)));
    }
}
