using System.Text.Json;
using PaddleX.Cloud.Vision.Detection.Ops;
using static PaddleX.Cloud.Detection.Tests.Ops.OpsFixture;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Ops;

/// <summary>Box arithmetic and NMS against torchvision 0.14 on the inputs of fixtures/ops/make_fixtures.py.</summary>
public class BoxOpsGoldenTests
{
    private static JsonElement Boxes => Root.GetProperty("boxes");

    [Fact]
    public void Pairwise_iou_and_area_match_torchvision()
    {
        using var a = Floats(Boxes.GetProperty("a"));
        using var b = Floats(Boxes.GetProperty("b"));
        AssertClose(Floats(Boxes.GetProperty("iou")), BoxOps.Iou(a, b), what: "iou");
        AssertClose(Floats(Boxes.GetProperty("area")), BoxOps.Area(a), what: "area");
    }

    [Fact]
    public void Paired_generalized_distance_and_complete_iou_match_torchvision()
    {
        using var p = Floats(Boxes.GetProperty("p"));
        using var q = Floats(Boxes.GetProperty("q"));
        AssertClose(Floats(Boxes.GetProperty("giou")), BoxOps.GeneralizedIou(p, q), what: "giou");
        AssertClose(Floats(Boxes.GetProperty("diou")), BoxOps.DistanceIou(p, q), what: "diou");
        AssertClose(Floats(Boxes.GetProperty("ciou")), BoxOps.CompleteIou(p, q), what: "ciou");
        using var iouDiagonal = BoxOps.Iou(p, q).diagonal();
        AssertClose(iouDiagonal, BoxOps.PairedIou(p, q), what: "paired iou");
    }

    [Fact]
    public void Paired_ious_broadcast_over_leading_dimensions_and_carry_gradients()
    {
        using var p = Floats(Boxes.GetProperty("p")).reshape(3, 3, 4).requires_grad_(true);
        using var q = Floats(Boxes.GetProperty("q")).reshape(3, 3, 4);
        using var ciou = BoxOps.CompleteIou(p, q);
        Assert.Equal([3L, 3], ciou.shape);
        AssertClose(Floats(Boxes.GetProperty("ciou")).reshape(3, 3), ciou, what: "ciou [3, 3]");
        ciou.sum().backward();
        Assert.True(p.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Clip_and_conversions_match_torchvision()
    {
        using var clipped = BoxOps.Clip(Floats(Boxes.GetProperty("clip_in")), Boxes.GetProperty("clip_height").GetInt64(), Boxes.GetProperty("clip_width").GetInt64());
        AssertClose(Floats(Boxes.GetProperty("clip")), clipped, what: "clip");
        AssertClose(Floats(Boxes.GetProperty("xywh_to_xyxy")), BoxOps.XywhToXyxy(Floats(Boxes.GetProperty("xywh"))), what: "xywh→xyxy");
        AssertClose(Floats(Boxes.GetProperty("xyxy_to_cxcywh")), BoxOps.XyxyToCxcywh(Floats(Boxes.GetProperty("a"))), what: "xyxy→cxcywh");
        AssertClose(Floats(Boxes.GetProperty("cxcywh_to_xyxy")), BoxOps.CxcywhToXyxy(Floats(Boxes.GetProperty("cxcywh"))), what: "cxcywh→xyxy");
    }

    [Fact]
    public void Iou_rejects_boxes_that_are_not_n_by_4()
    {
        using var bad = zeros(3, 5);
        using var good = zeros(2, 4);
        Assert.Throws<ArgumentException>(() => BoxOps.Iou(bad, good));
    }
}
