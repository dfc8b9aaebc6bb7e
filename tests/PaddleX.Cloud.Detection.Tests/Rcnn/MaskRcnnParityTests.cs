using PaddleX.Cloud.Vision.Detection.Models.Rcnn;
using TorchSharp;
using static PaddleX.Cloud.Detection.Tests.Rcnn.ParityFixture;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Rcnn;

/// <summary>
/// Mask R-CNN ResNet50-FPN against TorchVision's <c>maskrcnn_resnet50_fpn</c> (fixtures/rcnn/make_maskrcnn_fixtures.py):
/// same state-dict names and shapes, and with the closed-form weights and input of the Faster R-CNN fixture the same
/// detections in eval mode — boxes, scores, labels and the mask probabilities pasted into the input. RoIAlign is set
/// to TorchVision's (unaligned, 2×2 samples per bin).
/// </summary>
public sealed class MaskRcnnParityTests
{
    private const string Fixture = "maskrcnn_r50_fpn.json";

    [Fact]
    public void State_dict_names_and_shapes_equal_torchvision()
    {
        using var golden = ParityFixture.Load(Fixture);
        using var model = new MaskRCNN("ResNet50", golden.RootElement.GetProperty("num_classes").GetInt32());
        ParityFixture.AssertStateDict(golden.RootElement, model);
    }

    [Fact]
    public void Boxes_scores_labels_and_pasted_masks_equal_torchvision()
    {
        torch.set_num_threads(2);
        using var golden = ParityFixture.Load(Fixture);
        var root = golden.RootElement;
        var size = root.GetProperty("size").GetInt32();
        var step = root.GetProperty("mask_step").GetInt32();
        using var model = new MaskRCNN("ResNet50", root.GetProperty("num_classes").GetInt32(), new RcnnSettings { RoiAligned = false, RoiSamplingRatio = 2 });
        FormulaWeights.Apply(model);
        model.eval();
        using var scope = NewDisposeScope();

        var detections = model.Detect(FormulaWeights.Image(size), model.DefaultDetectOptions)[0];

        var expectedBoxes = Rows(root.GetProperty("boxes"), 4);
        var count = expectedBoxes.shape[0];
        Assert.Equal(count, detections.Boxes.shape[0]);
        var masks = detections.Masks!;
        Assert.Equal([count, size, size], masks.shape);

        // Detections whose scores tie to float precision may come out in either order: pair each expected one with
        // the nearest actual box of its class.
        var labels = root.GetProperty("labels").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        var scores = Values(root.GetProperty("scores"));
        var sums = Values(root.GetProperty("mask_sums"));
        var samples = root.GetProperty("mask_samples").EnumerateArray().ToArray();
        var distance = (expectedBoxes.unsqueeze(1) - detections.Boxes.unsqueeze(0)).abs().amax(2);
        distance += (tensor(labels).unsqueeze(1) != detections.Labels.unsqueeze(0)).to(float32) * 1e6f;
        var (nearest, match) = distance.min(1);
        Assert.True(nearest.max().item<float>() <= 1e-2, $"unmatched boxes: {nearest.max().item<float>()}");
        var (distinct, _, _) = match.unique();
        Assert.Equal(count, distinct.shape[0]);

        AssertClose(scores, detections.Scores[match], 1e-4);
        AssertClose(sums, masks[match].sum([1, 2]), 0.5);
        for (var k = 0; k < samples.Length; k++)
        {
            var sampled = masks[match[k].item<long>(), TensorIndex.Slice(step: step), TensorIndex.Slice(step: step)].flatten();
            AssertClose(Values(samples[k]), sampled, 1e-3);
        }
    }
}
