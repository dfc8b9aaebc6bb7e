using PaddleX.Cloud.Vision.Models.Segmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Tests;

public class SegmentationModelTests
{
    /// <summary>Every model with each of its backbones (null for models without a choice).</summary>
    public static TheoryData<string, string?> ModelsAndBackbones()
    {
        var data = new TheoryData<string, string?>();
        foreach (var name in SegmentationModels.Names)
        {
            var backbones = SegmentationModels.Backbones(name);
            if (backbones.Count == 0)
            {
                data.Add(name, null);
            }

            foreach (var b in backbones)
            {
                data.Add(name, b);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ModelsAndBackbones))]
    public void Logits_have_the_input_size_for_odd_class_counts_batches_and_bands(string name, string? backbone)
    {
        torch.set_num_threads(2);
        torch.manual_seed(3);
        var size = Math.Max(64, SegmentationModels.Spec(name).MinSize);
        foreach (var (classes, bands, batch) in new[] { (3, 3, 2), (7, 4, 1) })
        {
            using var model = SegmentationModels.Create(name, backbone, classes, bands);
            model.eval();
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var y = model.call(torch.randn(batch, bands, size, size + SegmentationModels.Spec(name).Multiple));
            Assert.Equal([batch, classes, size, size + SegmentationModels.Spec(name).Multiple], y.shape);
            Assert.False(y.isnan().any().item<bool>());
        }
    }

    [Theory]
    [MemberData(nameof(ModelsAndBackbones))]
    public void A_training_step_reaches_every_parameter(string name, string? backbone)
    {
        torch.set_num_threads(2);
        torch.manual_seed(5);
        using var model = SegmentationModels.Create(name, backbone, 2, 3);
        model.train();
        using var scope = torch.NewDisposeScope();
        var size = Math.Max(64, SegmentationModels.Spec(name).MinSize);
        var x = torch.randn(2, 3, size, size);
        var target = torch.randint(0, 2, [2, size, size], dtype: ScalarType.Int64);
        Tensor loss;
        if (model is IAuxiliaryHeads aux)
        {
            var outputs = aux.ForwardWithAuxiliary(x);
            Assert.Equal(aux.LossWeights.Count, outputs.Count);
            Assert.True(outputs.Count > 1);
            loss = torch.zeros(1);
            for (var i = 0; i < outputs.Count; i++)
            {
                Assert.Equal([2L, 2, size, size], outputs[i].shape);
                loss = loss + (aux.LossWeights[i] * nn.functional.cross_entropy(outputs[i], target));
            }
        }
        else
        {
            loss = nn.functional.cross_entropy(model.call(x), target);
        }

        loss.backward();
        var missing = model.named_parameters().Where(p => p.parameter.grad is null).Select(p => p.name).ToList();
        Assert.True(missing.Count == 0, $"no gradient for {string.Join(", ", missing.Take(5))}");
    }

    [Fact]
    public void Registry_has_paddlex_2_names_and_backbones()
    {
        Assert.Equal(["DeepLabV3P", "UNet", "HRNet_W18", "FastSCNN", "BiSeNetV2"], SegmentationModels.Names);
        Assert.Equal(["ResNet50_vd", "ResNet101_vd"], SegmentationModels.Backbones("DeepLabV3P"));
        Assert.Equal("ResNet50_vd", SegmentationModels.ResolveBackbone("DeepLabV3P", null));
        Assert.Empty(SegmentationModels.Backbones("UNet"));
    }

    [Theory]
    [InlineData("DeepLabv3+", "DeepLabV3P")]
    [InlineData("U-Net", "UNet")]
    [InlineData("Unet", "UNet")]
    [InlineData("HRNet", "HRNet_W18")]
    [InlineData("FastSCNN", "FastSCNN")]
    public void One_x_spellings_map_to_the_canonical_model(string alias, string canonical)
    {
        Assert.True(SegmentationModels.IsKnown(alias));
        Assert.Equal(canonical, SegmentationModels.Canonical(alias));
        Assert.Equal(canonical, SegmentationModels.Spec(alias).Name);
    }

    [Theory]
    [InlineData("Xception65")]
    [InlineData("MobileNetV2")]
    public void DeepLab_refuses_the_1_x_backbones_listing_the_valid_ones(string backbone)
    {
        var ex = Assert.Throws<ArgumentException>(() => SegmentationModels.Create("DeepLabv3+", backbone, 2, 3));
        Assert.Contains(backbone, ex.Message, StringComparison.Ordinal);
        Assert.Contains("ResNet50_vd, ResNet101_vd", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_model_lists_the_valid_names()
    {
        Assert.False(SegmentationModels.IsKnown("SegNet"));
        var ex = Assert.Throws<ArgumentException>(() => SegmentationModels.Create("SegNet", null, 2, 3));
        Assert.Contains("SegNet", ex.Message, StringComparison.Ordinal);
        foreach (var n in SegmentationModels.Names)
        {
            Assert.Contains(n, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Class_and_band_counts_are_checked()
    {
        Assert.Throws<ArgumentException>(() => SegmentationModels.Create("UNet", null, 1, 3));
        Assert.Throws<ArgumentException>(() => SegmentationModels.Create("UNet", null, 2, 0));
    }

    [Fact]
    public void Input_size_rule_is_explained()
    {
        SegmentationModels.CheckInputSize("UNet", 48, 32);
        var ex = Assert.Throws<ArgumentException>(() => SegmentationModels.CheckInputSize("DeepLabV3P", 100, 64));
        Assert.Contains("multiples of 32", ex.Message, StringComparison.Ordinal);
        Assert.Contains("100×64", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SegmentationModels.CheckInputSize("UNet", 16, 16));
    }
}
