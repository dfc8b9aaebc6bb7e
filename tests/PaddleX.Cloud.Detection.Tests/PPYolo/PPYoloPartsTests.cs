using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.PPYolo;
using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using PaddleX.Cloud.Vision.Detection.Ops;
using PaddleX.Cloud.Vision.Models.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.PPYolo;

/// <summary>The pieces PP-YOLO adds to YOLOv3: backbones and their output levels, Matrix NMS, DropBlock, CoordConv.</summary>
public sealed class PPYoloPartsTests
{
    [Theory]
    [InlineData("PPYOLO", "ResNet18_vd", new[] { 32, 16 }, 1)]
    [InlineData("PPYOLO", "MobileNetV3_small", new[] { 32, 16 }, 1)]
    [InlineData("PPYOLOTiny", "MobileNetV3", new[] { 32, 16, 8 }, 0)]
    public void Each_level_predicts_anchors_times_box_object_classes_and_iou_at_its_stride(string model, string backbone, int[] strides, int iouChannel)
    {
        using var scope = NewDisposeScope();
        using var detector = (YoloDetector)DetectionModels.Create(model, backbone, 3);
        detector.eval();
        var raw = detector.call(zeros(1, 3, 64, 96));
        Assert.Equal(strides, detector.Options.Strides);
        Assert.Equal(strides.Length, raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            Assert.Equal(new long[] { 1, 3 * (5 + 3 + iouChannel), 64 / strides[i], 96 / strides[i] }, raw[i].shape);
        }

        Assert.Equal(1.05, detector.Options.ScaleXY);
    }

    [Fact]
    public void The_dcn_backbones_deform_only_the_last_stage_and_keep_the_shared_resnet_names()
    {
        using var r50 = new ResNetVd(50, deformableStages: [3]);
        var deformable = r50.named_modules().Where(m => m.module is DeformConv2d).Select(m => m.name).ToList();
        Assert.Equal(3, deformable.Count);
        Assert.All(deformable, name => Assert.StartsWith("stages.3.", name));
        Assert.Contains("stages.3.0.body.1.conv.conv_offset.weight", r50.state_dict().Keys);
        Assert.Equal(new long[] { 256, 512, 1024, 2048 }, r50.StageChannels);
        using var r18 = new ResNetVd(18);
        Assert.Equal(new long[] { 64, 128, 256, 512 }, r18.StageChannels);
        Assert.Throws<ArgumentException>(() => new ResNetVd(18, deformableStages: [3]));
        using var scope = NewDisposeScope();
        var stages = r18.Stages(zeros(1, 3, 64, 64));
        Assert.Equal([16L, 8, 4, 2], stages.Select(s => s.shape[2]));
    }

    [Fact]
    public void PP_YOLO_post_processes_with_matrix_nms_and_PaddleX_s_thresholds()
    {
        using var scope = NewDisposeScope();
        // A (best), B overlapping A, C apart, D overlapping B and touching A; all class 0, plus E of class 1 on A.
        // Pixel boxes count both end pixels: IoU(A, B) = 66/176, IoU(B, D) = 66/176, IoU(A, D) = 11/231.
        var boxes = tensor(new float[] { 0, 0, 10, 10, 5, 0, 15, 10, 30, 30, 40, 40, 10, 0, 20, 10, 0, 0, 10, 10 }).view(5, 4);
        var scores = tensor(new float[] { 0.9f, 0, 0.8f, 0, 0.7f, 0, 0.6f, 0, 0, 0.45f }).view(5, 2);
        var d = MatrixNmsPostProcess.Instance.Apply(boxes, scores, new DetectOptions(ScoreThreshold: 0.01, MaxDetections: 10));
        // B decays by 1 − 66/176; D by its overlap with A only (its overlap with B is compensated by B's own decay).
        float[] expected = [0.9f, 0.7f, 0.6f * (1 - 11f / 231), 0.8f * (1 - 66f / 176), 0.45f];
        Assert.Equal(expected, d.Scores.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal([0L, 0, 0, 0, 1], d.Labels.data<long>().ToArray());

        var top2 = MatrixNmsPostProcess.Instance.Apply(boxes, scores, new DetectOptions(ScoreThreshold: 0.55, MaxDetections: 2));
        Assert.Equal([0.9f, 0.7f], top2.Scores.data<float>().ToArray());
        using var ppyolo = (YoloDetector)DetectionModels.Create("PPYOLO", "MobileNetV3_small", 2);
        Assert.IsType<MatrixNmsPostProcess>(ppyolo.Options.PostProcess);
        Assert.Equal(0.01, ppyolo.DefaultDetectOptions.ScoreThreshold);
    }

    [Fact]
    public void DropBlock_drops_whole_squares_in_training_only_and_keeps_the_expected_sum()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var drop = new DropBlock(3, 0.9);
        var x = ones(4, 8, 32, 32);
        drop.train();
        var y = drop.call(x);
        var dropped = y.eq(0).to_type(ScalarType.Float32).mean().item<float>();
        Assert.InRange(dropped, 0.03, 0.25);
        Assert.Equal(1.0, y.mean().item<float>(), 2);
        // Drops come as 3×3 blocks, not single pixels: every dropped pixel has at least 4 dropped pixels in its 3×3
        // window (itself included; 4 for a block corner clipped at the map's corner, more elsewhere).
        var zero = y.eq(0).to_type(ScalarType.Float32);
        var neighbours = nn.functional.avg_pool2d(zero, 3, 1, 1, count_include_pad: true).mul(9);
        Assert.True(neighbours.index(zero.eq(1)).min().item<float>() >= 4 - 1e-4);
        Assert.True(drop.call(ones(1, 1, 2, 2)).eq(1).all().item<bool>());
        drop.eval();
        Assert.True(drop.call(x).eq(x).all().item<bool>());
    }

    [Fact]
    public void CoordConv_sees_where_it_is()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        using var conv = new CoordConv(4, 6, 1);
        conv.eval();
        var y = conv.call(ones(1, 4, 5, 7));
        Assert.Equal(new long[] { 1, 6, 5, 7 }, y.shape);
        // A constant input still gives different outputs at different positions.
        Assert.False(y[.., .., 0, 0].allclose(y[.., .., 4, 6]));
        Assert.Equal(new long[] { 1, 6, 1, 1 }, conv.call(ones(1, 4, 1, 1)).shape);
    }
}
