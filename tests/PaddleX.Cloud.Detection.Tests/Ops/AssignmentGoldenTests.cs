using System.Text.Json;
using PaddleX.Cloud.Vision.Detection.Ops;
using TorchSharp;
using static PaddleX.Cloud.Detection.Tests.Ops.OpsFixture;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Ops;

/// <summary>Anchor generation, the box coder and the matcher against torchvision 0.14; the sampler by its properties
/// (its random draws cannot be shared with PyTorch's generator).</summary>
public class AssignmentGoldenTests
{
    [Fact]
    public void Anchors_of_a_two_level_pyramid_match_torchvision()
    {
        JsonElement f = Root.GetProperty("anchors");
        var sizes = f.GetProperty("sizes").EnumerateArray().Select(DoubleArray).ToList();
        var ratios = f.GetProperty("aspect_ratios").EnumerateArray().Select(DoubleArray).ToList();
        var generator = new AnchorGenerator(sizes, ratios);
        Assert.Equal(f.GetProperty("num_anchors_per_location").EnumerateArray().Select(e => e.GetInt32()), generator.NumAnchorsPerLocation);
        var grids = f.GetProperty("grid_sizes").EnumerateArray().Select(g => (g[0].GetInt64(), g[1].GetInt64())).ToList();
        var image = f.GetProperty("image_size");
        using var anchors = generator.Generate(grids, (image[0].GetInt64(), image[1].GetInt64()));
        AssertClose(Floats(f.GetProperty("anchors")), anchors, 0, "anchors");
    }

    [Fact]
    public void Box_coder_encodes_and_decodes_like_torchvision()
    {
        JsonElement f = Root.GetProperty("box_coder");
        using var proposals = Floats(f.GetProperty("proposals"));
        using var gt = Floats(f.GetProperty("gt"));
        foreach (var c in f.GetProperty("cases").EnumerateArray())
        {
            var coder = new BoxCoder(DoubleArray(c.GetProperty("weights")));
            using var encoded = coder.Encode(gt, proposals);
            AssertClose(Floats(c.GetProperty("encoded")), encoded, what: "encode");
            AssertClose(Floats(c.GetProperty("decoded")), coder.Decode(Floats(c.GetProperty("rel_codes")), proposals), what: "decode (incl. clipped log-sizes)");
            AssertClose(Floats(c.GetProperty("roundtrip")), coder.Decode(encoded, proposals), what: "decode(encode)");
            AssertClose(gt, coder.Decode(encoded, proposals), 1e-4, "decode(encode) = ground truth");
        }
    }

    [Fact]
    public void Matcher_assigns_like_torchvision_with_and_without_low_quality_matches()
    {
        JsonElement f = Root.GetProperty("matcher");
        using var quality = Floats(f.GetProperty("quality"));
        foreach (var c in f.GetProperty("cases").EnumerateArray())
        {
            var matcher = new Matcher(c.GetProperty("high").GetDouble(), c.GetProperty("low").GetDouble(), c.GetProperty("allow_low_quality_matches").GetBoolean());
            using var matches = matcher.Match(quality);
            Assert.Equal(LongArray(c.GetProperty("matches")), matches.data<long>().ToArray());
        }
    }

    [Fact]
    public void Matcher_treats_an_image_without_ground_truth_as_all_background()
    {
        using var quality = zeros(0, 6);
        using var matches = new Matcher(0.7, 0.3, true).Match(quality);
        Assert.Equal(Enumerable.Repeat(Matcher.BelowLowThreshold, 6), matches.data<long>().ToArray());
    }

    [Fact]
    public void Sampler_keeps_the_positive_fraction_never_picks_ignored_and_is_seeded()
    {
        // 10 positives, 200 negatives, 50 ignored: 256 × 0.25 = 64 positives wanted, only 10 exist.
        using var labels = cat([full(10, 1L), zeros(200, ScalarType.Int64), full(50, -1L)]);
        var (pos, neg) = new BalancedPositiveNegativeSampler(256, 0.25, new Generator(7)).Sample(labels);
        Assert.Equal(10, pos.sum().item<long>());
        Assert.Equal(200, neg.sum().item<long>());
        Assert.False((pos & neg).any().item<bool>());
        Assert.False(((pos | neg) & (labels == -1)).any().item<bool>());

        // Plenty of both: exactly 64 positives + 192 negatives, drawn from the right labels.
        using var many = cat([full(300, 2L), zeros(1000, ScalarType.Int64), full(20, -1L)]);
        var (p1, n1) = new BalancedPositiveNegativeSampler(256, 0.25, new Generator(7)).Sample(many);
        Assert.Equal(64, p1.sum().item<long>());
        Assert.Equal(192, n1.sum().item<long>());
        Assert.True((many.masked_select(p1) >= 1).all().item<bool>());
        Assert.True((many.masked_select(n1) == 0).all().item<bool>());

        // Same seed, same picks; another seed, other picks.
        var (p2, _) = new BalancedPositiveNegativeSampler(256, 0.25, new Generator(7)).Sample(many);
        var (p3, _) = new BalancedPositiveNegativeSampler(256, 0.25, new Generator(8)).Sample(many);
        Assert.True((p1 == p2).all().item<bool>());
        Assert.False((p1 == p3).all().item<bool>());
    }

    [Fact]
    public void Sampler_draws_positives_uniformly()
    {
        // 1000 draws of 16 among 64 positives: every positive is picked about 250 times.
        using var labels = cat([full(64, 1L), zeros(64, ScalarType.Int64)]);
        var sampler = new BalancedPositiveNegativeSampler(32, 0.5, new Generator(1));
        using var counts = zeros(128, ScalarType.Int64);
        for (int i = 0; i < 1000; i++)
        {
            var (pos, _) = sampler.Sample(labels);
            counts.add_(pos.to(ScalarType.Int64));
        }

        using var positives = counts.narrow(0, 0, 64).to(ScalarType.Float32);
        Assert.InRange(positives.min().item<float>(), 180, 320);
        Assert.InRange(positives.max().item<float>(), 180, 320);
    }

    [Fact]
    public void Decoding_no_boxes_gives_no_boxes()
    {
        var decoded = new BoxCoder([10, 10, 5, 5]).Decode(torch.zeros(0, 12), torch.zeros(0, 4));
        Assert.Equal([0L, 12L], decoded.shape);
    }

}
