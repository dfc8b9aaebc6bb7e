using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Export;

/// <summary>
/// Writes a trained classification network (ResNet18/34/50, MobileNetV2, MobileNetV3 small/large) as an
/// ONNX model (IR 8, opset 17) through <see cref="OnnxGraph"/>. TorchVision's modules do not describe
/// themselves, so their structure is walked by child name here. Input <c>image</c> [N,3,H,W] float (already
/// normalised), outputs <c>logits</c> and <c>probabilities</c> (softmax) [N,C]; N, H and W are dynamic.
/// </summary>
public static class OnnxExporter
{
    public const int Opset = OnnxGraph.Opset;
    public const string InputName = "image";
    public const string LogitsName = "logits";
    public const string ProbabilitiesName = "probabilities";

    /// <summary>The ONNX bytes of <paramref name="model"/> (any of the registry's classification models).</summary>
    public static byte[] Export(nn.Module model, string modelName, int numClasses, OnnxWeights weights = OnnxWeights.Float32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var g = new OnnxGraph("paddlex_cloud_classifier", weights);
        using (no_grad())
        {
            var x = InputName;
            var children = Children(model);
            if (children.ContainsKey("layer1"))
            {
                x = ResNet(g, children, x);
            }
            else if (children.ContainsKey("features"))
            {
                x = Container(g, children["features"], x);
                x = g.Node("GlobalAveragePool", [x]);
                x = g.Node("Flatten", [x], OnnxGraph.Attr("axis", 1));
                x = Container(g, children["classifier"], x);
            }
            else
            {
                throw new NotSupportedException($"ONNX export does not know the structure of {modelName}");
            }

            g.Output(LogitsName, "Identity", x);
            g.Output(ProbabilitiesName, "Softmax", LogitsName, OnnxGraph.Attr("axis", 1));
        }

        g.Input(InputName, ["N", 3L, "H", "W"]);
        g.DeclareOutput(LogitsName, ["N", (long)numClasses]);
        g.DeclareOutput(ProbabilitiesName, ["N", (long)numClasses]);
        var props = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["model"] = modelName };
        return g.ToBytes($"{modelName} classifier exported from TorchSharp weights", props);
    }

    private static Dictionary<string, nn.Module> Children(nn.Module m) =>
        m.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);

    private static string ResNet(OnnxGraph g, Dictionary<string, nn.Module> c, string x)
    {
        x = g.Relu(g.ConvBn((Conv2d)c["conv1"], (BatchNorm2d)c["bn1"], x));
        x = g.MaxPool(x, 3, 2, 1);
        for (var layer = 1; c.ContainsKey($"layer{layer}"); layer++)
        {
            x = ResNetStage(g, c[$"layer{layer}"], x);
        }

        x = g.Node("GlobalAveragePool", [x]);
        x = g.Node("Flatten", [x], OnnxGraph.Attr("axis", 1));
        return g.Linear((Linear)c["fc"], x);
    }

    /// <summary>One torchvision ResNet stage (<c>layerN</c>): its basic or bottleneck blocks in order.</summary>
    internal static string ResNetStage(OnnxGraph g, nn.Module stage, string x)
    {
        foreach (var (_, block) in stage.named_children())
        {
            var b = Children(block);
            var identity = x;
            var y = x;
            var last = b.ContainsKey("conv3") ? 3 : 2;
            for (var i = 1; i <= last; i++)
            {
                y = g.ConvBn((Conv2d)b[$"conv{i}"], (BatchNorm2d)b[$"bn{i}"], y);
                if (i < last)
                {
                    y = g.Relu(y);
                }
            }

            if (b.TryGetValue("downsample", out var down) && down.named_children().Any())
            {
                identity = g.Module(down, x);
            }

            x = g.Relu(g.Add(y, identity));
        }

        return x;
    }

    /// <summary>TorchVision's MobileNet containers: squeeze-excitation blocks and inverted residuals
    /// (which add their input when they keep the shape) need their structure; the rest is a sequence.</summary>
    internal static string Container(OnnxGraph g, nn.Module container, string x)
    {
        var children = container.named_children().Select(p => p.module).ToList();
        if (children.Count == 0)
        {
            return g.Leaf(container, x);
        }

        var type = container.GetType().Name;
        if (type.Contains("SqueezeExcitation", StringComparison.Ordinal))
        {
            return SqueezeExcitation(g, Children(container), x);
        }

        var input = x;
        for (var i = 0; i < children.Count; i++)
        {
            if (children[i] is Conv2d conv)
            {
                var bn = i + 1 < children.Count ? children[i + 1] as BatchNorm2d : null;
                x = g.ConvBn(conv, bn, x);
                i += bn is null ? 0 : 1;
            }
            else
            {
                x = Container(g, children[i], x);
            }
        }

        if (type.Contains("InvertedResidual", StringComparison.Ordinal) && IsResidual(container))
        {
            x = g.Add(x, input);
        }

        return x;
    }

    /// <summary>An inverted residual adds its input when it keeps the shape: stride 1 everywhere and
    /// the same channel count in and out (torchvision's use_res_connect).</summary>
    private static bool IsResidual(nn.Module block)
    {
        var convs = DepthFirst(block).OfType<Conv2d>().ToList();
        return convs.Count > 0 && convs.All(c => c.stride.All(s => s == 1)) && convs[0].in_channels == convs[^1].out_channels;
    }

    /// <summary>Leaf modules in execution (registration, depth-first) order, not entering squeeze-excitation
    /// blocks (named_modules is breadth-first).</summary>
    private static IEnumerable<nn.Module> DepthFirst(nn.Module m)
    {
        var children = m.named_children().Select(p => p.module).ToList();
        if (children.Count == 0)
        {
            yield return m;
            yield break;
        }

        if (m.GetType().Name.Contains("SqueezeExcitation", StringComparison.Ordinal))
        {
            yield break;
        }

        foreach (var leaf in children.SelectMany(DepthFirst))
        {
            yield return leaf;
        }
    }

    private static string SqueezeExcitation(OnnxGraph g, Dictionary<string, nn.Module> c, string x)
    {
        var s = g.Node("GlobalAveragePool", [x]);
        s = g.Conv((Conv2d)c["fc1"], s);
        s = g.Leaf(c["activation"], s);
        s = g.Conv((Conv2d)c["fc2"], s);
        s = g.Leaf(c["scale_activation"], s);
        return g.Node("Mul", [x, s]);
    }
}
