using PaddleX.Cloud.Vision.Models.Classification;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Tests;

public class ModelTests
{
    public static TheoryData<string> Names() => new(ClassificationModels.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void Builds_for_3_and_7_classes_at_32_and_64_pixels(string name)
    {
        torch.set_num_threads(2);
        foreach (int classes in new[] { 3, 7 })
        {
            using nn.Module<Tensor, Tensor> model = ClassificationModels.Create(name, classes);
            model.eval();
            foreach (int size in new[] { 32, 64 })
            {
                using var scope = torch.NewDisposeScope();
                using var _ = torch.no_grad();
                Tensor y = model.call(torch.randn(2, 3, size, size));
                Assert.Equal([2L, classes], y.shape);
                Assert.False(y.isnan().any().item<bool>());
            }
        }
    }

    [Fact]
    public void Registry_has_exactly_the_paddlex_names()
    {
        Assert.Equal(["MobileNetV2", "MobileNetV3_small", "MobileNetV3_large", "ResNet18", "ResNet34", "ResNet50"], ClassificationModels.Names);
    }

    [Fact]
    public void Unknown_name_lists_the_valid_names()
    {
        var ex = Assert.Throws<ArgumentException>(() => ClassificationModels.Create("ResNet19", 3));
        Assert.Contains("ResNet19", ex.Message, StringComparison.Ordinal);
        foreach (string n in ClassificationModels.Names)
        {
            Assert.Contains(n, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void State_dict_keys_keep_pytorch_names()
    {
        using var r = ClassificationModels.Create("ResNet18", 5);
        var keys = r.state_dict().Keys.ToHashSet();
        Assert.Contains("conv1.weight", keys);
        Assert.Contains("layer4.1.bn2.running_var", keys);
        Assert.Equal([5L, 512], r.state_dict()["fc.weight"].shape);

        using var m = ClassificationModels.Create("MobileNetV3_small", 5);
        var mk = m.state_dict();
        Assert.Contains("features.0.0.weight", mk.Keys);
        Assert.Equal([1024L, 576], mk["classifier.0.weight"].shape);
        Assert.Equal([5L, 1024], mk["classifier.3.weight"].shape);

        using var v2 = ClassificationModels.Create("MobileNetV2", 5);
        Assert.Equal([5L, 1280], v2.state_dict()["classifier.1.weight"].shape);
    }
}
