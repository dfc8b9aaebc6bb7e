using PaddleX.Cloud.Vision.Detection.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Ops;

/// <summary>The ops run inside training steps thousands of times: each leaves no tensor behind but its results.</summary>
public class OpsLeakTests
{
    [Fact]
    public void Ops_leave_no_live_tensors_but_their_results()
    {
        using var boxes = tensor(new float[] { 0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 32, 2, 0, 9, 12 }).reshape(4, 4);
        using var flipped = boxes.flip(0);
        using var scores = tensor(new float[] { 0.9f, 0.8f, 0.7f, 0.6f });
        using var classScores = stack([scores, scores.flip(0)], 1);
        using var classes = tensor(new long[] { 0, 0, 1, 1 });
        using var features = randn(1, 3, 8, 8).requires_grad_(true);
        using var coarse = randn(1, 3, 4, 4);
        using var rois = cat([zeros(4, 1), boxes / 2], 1);
        using var quality = BoxOps.Iou(boxes.narrow(0, 0, 2), boxes);
        var coder = new BoxCoder([10, 10, 5, 5]);
        var anchors = new AnchorGenerator([[8.0], [16.0]], [[0.5, 1, 2], [1.0]]);
        var matcher = new Matcher(0.7, 0.3, true);
        var sampler = new BalancedPositiveNegativeSampler(4, 0.5, new Generator(1));
        var pooler = new MultiScaleRoiAlign(2, 2, 2);
        var ops = new Dictionary<string, Func<Tensor[]>>
        {
            ["iou"] = () => [BoxOps.Iou(boxes, boxes)],
            ["ciou"] = () => [BoxOps.CompleteIou(boxes, flipped)],
            ["clip"] = () => [BoxOps.Clip(boxes, 8, 8)],
            ["nms"] = () => [Nms.Apply(boxes, scores, 0.5)],
            ["batched nms"] = () => [Nms.Batched(boxes, scores, classes, 0.5)],
            ["matrix nms"] = () => { var (b, s, l) = MatrixNms.Apply(boxes, classScores, new MatrixNmsOptions()); return [b, s, l]; },
            ["roi align"] = () => [RoiAlign.Apply(features, rois, 2, 2, 0.5, -1, aligned: true)],
            ["multi-scale roi align"] = () => [pooler.Apply([features, coarse], [boxes], [(32L, 32L)])],
            ["encode"] = () => [coder.Encode(boxes, flipped)],
            ["anchors"] = () => [anchors.Generate([(4L, 4L), (2L, 2L)], (32, 32))],
            ["match"] = () => [matcher.Match(quality)],
            ["sample"] = () => { var (p, n) = sampler.Sample(classes); return [p, n]; },
        };

        foreach (var (name, op) in ops)
        {
            DisposeScopeManager.Statistics.Reset();
            foreach (var result in op())
            {
                result.Dispose();
            }

            Assert.True(DisposeScopeManager.Statistics.ThreadTotalLiveCount == 0, $"{name} left {DisposeScopeManager.Statistics.ThreadTotalLiveCount} tensors");
        }

        // The counter does see a leaked tensor (so the assertion above can fail).
        DisposeScopeManager.Statistics.Reset();
        Tensor leaked = BoxOps.Area(boxes);
        Assert.Equal(1, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        leaked.Dispose();
    }
}
