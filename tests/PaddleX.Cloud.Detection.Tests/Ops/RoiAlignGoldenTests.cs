using System.Text.Json;
using PaddleX.Cloud.Vision.Detection.Ops;
using static PaddleX.Cloud.Detection.Tests.Ops.OpsFixture;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Ops;

/// <summary>RoIAlign forward and input gradient, and the FPN pooler, against torchvision 0.14 (boxes inside, across
/// and outside the map, smaller than a cell, fixed and adaptive sampling, aligned and not) — both the CPU kernel and
/// the portable libtorch-ops path that other devices take.</summary>
public class RoiAlignGoldenTests
{
    private static JsonElement Fixture => Root.GetProperty("roi_align");

    public static TheoryData<int, bool> Configs()
    {
        var data = new TheoryData<int, bool>();
        foreach (int i in Enumerable.Range(0, Fixture.GetProperty("cases").GetArrayLength()))
        {
            data.Add(i, false);
            data.Add(i, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Forward_and_input_gradient_match_torchvision(int index, bool portable)
    {
        JsonElement c = Fixture.GetProperty("cases")[index];
        using var input = Floats(Fixture.GetProperty("input")).requires_grad_(true);
        float[] rois = Floats(Fixture.GetProperty("rois")).data<float>().ToArray();
        using var output = RoiAlign.Pool([input], [c.GetProperty("spatial_scale").GetDouble()], rois, new int[rois.Length / 5],
            c.GetProperty("output_height").GetInt32(), c.GetProperty("output_width").GetInt32(), c.GetProperty("sampling_ratio").GetInt32(),
            c.GetProperty("aligned").GetBoolean(), portable);
        AssertClose(Floats(c.GetProperty("output")), output, what: "output");

        using var upstream = Floats(c.GetProperty("upstream"));
        (output * upstream).sum().backward();
        AssertClose(Floats(c.GetProperty("grad")), input.grad!, what: "input gradient");
    }

    [Fact]
    public void The_public_entry_takes_rois_as_a_tensor()
    {
        JsonElement c = Fixture.GetProperty("cases")[0];
        using var input = Floats(Fixture.GetProperty("input"));
        using var rois = Floats(Fixture.GetProperty("rois"));
        using var output = RoiAlign.Apply(input, rois, c.GetProperty("output_height").GetInt32(), c.GetProperty("output_width").GetInt32(),
            c.GetProperty("spatial_scale").GetDouble(), c.GetProperty("sampling_ratio").GetInt32(), c.GetProperty("aligned").GetBoolean());
        AssertClose(Floats(c.GetProperty("output")), output, what: "output");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void No_rois_give_an_empty_result_of_the_right_shape(bool portable)
    {
        using var input = randn(1, 3, 8, 8);
        using var output = RoiAlign.Pool([input], [1.0], [], [], 7, 7, 2, aligned: true, portable);
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

    [Fact]
    public void Both_paths_agree_on_a_pyramid_forward_and_backward()
    {
        JsonElement f = Root.GetProperty("multiscale_roi_align");
        var boxes = f.GetProperty("boxes").EnumerateArray().Select(e => Floats(e)).ToList();
        var sizes = f.GetProperty("image_sizes").EnumerateArray().Select(s => (s[0].GetInt64(), s[1].GetInt64())).ToList();
        var pooler = new MultiScaleRoiAlign(3, 2, samplingRatio: -1);
        var (cpu, cpuGrads) = PoolPyramid(f, boxes, sizes, pooler, portable: false);
        var (portable, portableGrads) = PoolPyramid(f, boxes, sizes, pooler, portable: true);
        AssertClose(cpu, portable, what: "pooled");
        for (int l = 0; l < cpuGrads.Length; l++)
        {
            AssertClose(cpuGrads[l], portableGrads[l], what: $"gradient of level {l}");
        }

        // Boxes land on the finest and the coarsest level only; the middle one gets no gradient.
        Assert.Equal([true, false, true], cpuGrads.Select(g => g.abs().sum().item<float>() > 0));
    }

    private static (Tensor Pooled, Tensor[] Grads) PoolPyramid(JsonElement f, List<Tensor> boxes, List<(long, long)> sizes,
        MultiScaleRoiAlign pooler, bool portable)
    {
        var features = f.GetProperty("features").EnumerateArray().Select(e => Floats(e).requires_grad_(true)).ToList();
        double[] scales = MultiScaleRoiAlign.Scales(features, sizes);
        int[] levels = pooler.MapLevels(boxes, scales).Select(l => (int)l).ToArray();
        var rois = new List<float>();
        for (int i = 0; i < boxes.Count; i++)
        {
            foreach (var box in boxes[i].data<float>().ToArray().Chunk(4))
            {
                rois.Add(i);
                rois.AddRange(box);
            }
        }

        var pooled = RoiAlign.Pool(features, scales, rois.ToArray(), levels, 3, 2, -1, aligned: false, portable);
        using var upstream = arange(pooled.numel(), dtype: ScalarType.Float32).reshape(pooled.shape).sin();
        (pooled * upstream).sum().backward();
        return (pooled.detach(), features.Select(x => x.grad ?? zeros_like(x)).ToArray());
    }
}
