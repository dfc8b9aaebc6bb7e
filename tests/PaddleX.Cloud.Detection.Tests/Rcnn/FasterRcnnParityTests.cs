using PaddleX.Cloud.Vision.Detection.Models.Rcnn;
using TorchSharp;
using static PaddleX.Cloud.Detection.Tests.Rcnn.ParityFixture;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Rcnn;

/// <summary>
/// Faster R-CNN ResNet50-FPN against TorchVision's <c>fasterrcnn_resnet50_fpn</c> (fixtures/rcnn/make_fixtures.py):
/// same state-dict names and shapes, and with the same closed-form weights and input the same RPN proposals and
/// final detections. The reference RoIAlign is unaligned with 2×2 samples per bin; ours is set likewise here.
/// </summary>
public sealed class FasterRcnnParityTests
{
    private const string Fixture = "fasterrcnn_r50_fpn.json";

    [Fact]
    public void State_dict_names_and_shapes_equal_torchvision()
    {
        using var golden = ParityFixture.Load(Fixture);
        using var model = new FasterRCNN("ResNet50", golden.RootElement.GetProperty("num_classes").GetInt32());
        ParityFixture.AssertStateDict(golden.RootElement, model);
    }

    [Fact]
    public void Features_proposals_head_outputs_and_detections_equal_torchvision()
    {
        torch.set_num_threads(2);
        using var golden = ParityFixture.Load(Fixture);
        var root = golden.RootElement;
        var settings = new RcnnSettings { RoiAligned = false, RoiSamplingRatio = 2 };
        using var model = new FasterRCNN("ResNet50", root.GetProperty("num_classes").GetInt32(), settings: settings);
        FormulaWeights.Apply(model);
        model.eval();
        using var scope = NewDisposeScope();
        var image = FormulaWeights.Image(root.GetProperty("size").GetInt32());
        var expectedProposals = Rows(root.GetProperty("proposals"), 4);
        var rois = root.GetProperty("roi_logits").GetArrayLength();

        var (levels, proposals, logits, deltas) = model.Trace(image, [expectedProposals[..rois]]);

        var samples = root.GetProperty("fpn_samples").EnumerateArray().ToArray();
        Assert.Equal(samples.Length, levels.Count);
        for (var l = 0; l < levels.Count; l++)
        {
            var sampled = levels[l][0, TensorIndex.Slice(step: 37), TensorIndex.Slice(step: 3), TensorIndex.Slice(step: 3)].flatten();
            AssertClose(Values(samples[l]), sampled, 1e-3);
        }

        // Proposals whose objectness ties to float precision may come out in either order: compare as sets.
        Assert.Equal(expectedProposals.shape[0], proposals[0].shape[0]);
        AssertSameBoxes(expectedProposals, proposals[0], 1e-2);

        AssertClose(Rows(root.GetProperty("roi_logits"), (int)logits.shape[1]), logits, 1e-3);
        AssertClose(Rows(root.GetProperty("roi_deltas"), (int)deltas.shape[1]), deltas, 1e-3);

        var detections = model.Detect(image, model.DefaultDetectOptions)[0];
        var expectedBoxes = Rows(root.GetProperty("boxes"), 4);
        Assert.Equal(expectedBoxes.shape[0], detections.Boxes.shape[0]);
        AssertClose(Values(root.GetProperty("scores")), detections.Scores, 1e-4);
        AssertSameBoxes(expectedBoxes, detections.Boxes, 1e-2);
    }
}
