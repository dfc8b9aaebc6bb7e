using System.Text.Json;
using PaddleX.Cloud.Vision.Detection.Ops;
using static PaddleX.Cloud.Detection.Tests.Ops.OpsFixture;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Ops;

/// <summary>Matrix NMS against the loop-by-loop numpy reference of make_fixtures.py (Gaussian and linear decay,
/// pixel and normalized boxes, top-k limits, a skipped background column, identical boxes, nothing above threshold).</summary>
public class MatrixNmsGoldenTests
{
    public static TheoryData<string> Cases() => new(Root.GetProperty("matrix_nms").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decayed_detections_match_the_reference(string name)
    {
        JsonElement c = Root.GetProperty("matrix_nms").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        JsonElement o = c.GetProperty("options");
        var options = new MatrixNmsOptions(
            ScoreThreshold: o.GetProperty("score_threshold").GetDouble(),
            PostThreshold: o.GetProperty("post_threshold").GetDouble(),
            NmsTopK: o.GetProperty("nms_top_k").GetInt32(),
            KeepTopK: o.GetProperty("keep_top_k").GetInt32(),
            UseGaussian: o.GetProperty("use_gaussian").GetBoolean(),
            GaussianSigma: o.GetProperty("sigma").GetDouble(),
            Normalized: o.GetProperty("normalized").GetBoolean(),
            BackgroundLabel: o.GetProperty("background_label").GetInt32());
        using var boxes = Floats(c.GetProperty("boxes"));
        using var scores = Floats(c.GetProperty("scores"));
        var (outBoxes, outScores, outLabels) = MatrixNms.Apply(boxes, scores, options);
        Assert.Equal(LongArray(c.GetProperty("out_labels")), outLabels.data<long>().ToArray());
        AssertClose(Floats(c.GetProperty("out_scores")), outScores, what: "decayed scores");
        AssertClose(Floats(c.GetProperty("out_boxes"), 0, 4), outBoxes, what: "boxes");
    }

    [Fact]
    public void A_box_overlapping_a_better_one_decays_and_a_separate_one_does_not()
    {
        using var boxes = tensor(new float[] { 0, 0, 10, 10, 1, 1, 11, 11, 50, 50, 60, 60 }).reshape(3, 4);
        using var scores = tensor(new float[] { 0.9f, 0.8f, 0.7f }).reshape(3, 1);
        var (_, decayed, _) = MatrixNms.Apply(boxes, scores, new MatrixNmsOptions(PostThreshold: 0));
        float[] s = decayed.data<float>().ToArray();
        Assert.Equal(0.9f, s[0]);
        Assert.Equal(0.7f, s[1]);  // untouched, now ahead of the overlapped box
        Assert.True(s[2] < 0.8f * 0.5f, $"overlapped box kept {s[2]}");
    }
}
