using System.Text.Json;
using PaddleX.Cloud.Vision.Detection.Ops;
using static PaddleX.Cloud.Detection.Tests.Ops.OpsFixture;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Ops;

/// <summary>NMS and class-aware NMS keep exactly torchvision's indices in torchvision's order (ties included).</summary>
public class NmsGoldenTests
{
    public static TheoryData<string> NmsCases() => new(Root.GetProperty("nms").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    public static TheoryData<string> BatchedCases() => new(Root.GetProperty("batched").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(NmsCases))]
    public void Nms_keeps_torchvisions_indices(string name)
    {
        JsonElement c = Case("nms", name);
        using var boxes = Floats(c.GetProperty("boxes"), 0, 4);
        using var scores = Floats(c.GetProperty("scores"));
        using var keep = Nms.Apply(boxes, scores, c.GetProperty("iou_threshold").GetDouble());
        Assert.Equal(ScalarType.Int64, keep.dtype);
        Assert.Equal(LongArray(c.GetProperty("keep")), keep.data<long>().ToArray());
    }

    [Theory]
    [MemberData(nameof(BatchedCases))]
    public void Batched_nms_keeps_torchvisions_indices(string name)
    {
        JsonElement c = Case("batched", name);
        using var boxes = Floats(c.GetProperty("boxes"));
        using var scores = Floats(c.GetProperty("scores"));
        using var classes = Longs(c.GetProperty("classes"));
        using var keep = Nms.Batched(boxes, scores, classes, c.GetProperty("iou_threshold").GetDouble());
        Assert.Equal(LongArray(c.GetProperty("keep")), keep.data<long>().ToArray());
    }

    [Fact]
    public void Boxes_of_different_classes_do_not_suppress_each_other()
    {
        using var boxes = tensor(new float[] { 0, 0, 10, 10, 0, 0, 10, 10, 1, 1, 10, 10 }).reshape(3, 4);
        using var scores = tensor(new float[] { 0.5f, 0.9f, 0.7f });
        using var classes = tensor(new long[] { 0, 1, 0 });
        using var keep = Nms.Batched(boxes, scores, classes, 0.5);
        Assert.Equal([1L, 2], keep.data<long>().ToArray());
    }

    [Fact]
    public void Mismatched_scores_are_rejected()
    {
        using var boxes = zeros(3, 4);
        using var scores = zeros(2);
        Assert.Throws<ArgumentException>(() => Nms.Apply(boxes, scores, 0.5));
    }

    private static JsonElement Case(string family, string name) =>
        Root.GetProperty(family).EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
}
