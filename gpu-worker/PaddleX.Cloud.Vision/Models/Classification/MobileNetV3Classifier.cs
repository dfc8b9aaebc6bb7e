using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Classification;

/// <summary>
/// TorchVision's MobileNetV3 (whose constructors only build the 1000-class head) with the last classifier
/// layer replaced for <c>num_classes</c>. State-dict keys stay PyTorch's (<c>features.*</c>,
/// <c>classifier.0</c>, <c>classifier.3</c>), so torchvision checkpoints load by name.
/// </summary>
public sealed class MobileNetV3Classifier : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Sequential classifier;

    public MobileNetV3Classifier(string name, Module<Tensor, Tensor> torchvisionModel, int num_classes)
        : base(name)
    {
        var children = torchvisionModel.named_children().ToDictionary(c => c.name, c => c.module);
        features = (Module<Tensor, Tensor>)children["features"];
        avgpool = (Module<Tensor, Tensor>)children["avgpool"];
        var head = children["classifier"].named_children().ToList();
        var last = (Linear)head[^1].module;
        long hidden = last.in_features;
        var newLast = Linear(hidden, num_classes);
        init.normal_(newLast.weight!, 0, 0.01);
        init.zeros_(newLast.bias!);
        var layers = head.Take(head.Count - 1).Select(h => (h.name, (Module<Tensor, Tensor>)h.module)).ToList();
        layers.Add((head[^1].name, newLast));
        classifier = Sequential(layers);
        last.Dispose();
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = features.call(input);
        x = avgpool.call(x);
        x = x.flatten(1);
        x = classifier.call(x);
        return x.MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            features.Dispose();
            avgpool.Dispose();
            classifier.Dispose();
        }

        base.Dispose(disposing);
    }
}
