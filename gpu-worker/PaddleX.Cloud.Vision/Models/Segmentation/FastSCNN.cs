using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Upsample = PaddleX.Cloud.Vision.Models.Backbones.Upsample;

namespace PaddleX.Cloud.Vision.Models.Segmentation;

/// <summary>
/// Fast-SCNN: learning to down-sample (3×3 stride-2 conv, two depthwise-separable stride-2 convs: 64
/// channels at stride 8), the global feature extractor (inverted residuals 64→64→96→128 to stride 32, then
/// pyramid pooling over 1/2/3/6 bins), feature fusion (the global features up-sampled, depthwise 3×3 and
/// 1×1, added to the projected stride-8 features) and a classifier of two separable convs and a 1×1 conv.
/// An auxiliary head on the stride-8 features adds a loss weighted 0.4 in training.
/// </summary>
public sealed class FastSCNN : Module<Tensor, Tensor>, IOnnxExportable, IAuxiliaryHeads, IFixedSizeExport
{
    private readonly Sequential downsample;
    private readonly Sequential globalFeatures;
    private readonly PyramidPooling ppm;
    private readonly ConvBnAct fuseLowDw;
    private readonly ConvBnAct fuseLowProject;
    private readonly ConvBnAct fuseHighProject;
    private readonly Sequential classifier;
    private readonly Sequential aux;

    public FastSCNN(int numClasses, int inChannels)
        : base(nameof(FastSCNN))
    {
        downsample = Sequential(new ConvBnAct(inChannels, 32, 3, stride: 2), SeparableConv(32, 48, 2), SeparableConv(48, 64, 2));
        globalFeatures = Sequential();
        foreach (var (cin, cout, stride) in new (long, long, long)[] { (64, 64, 2), (64, 96, 2), (96, 128, 1) })
        {
            globalFeatures.append(InvertedResidual(cin, cout, stride, 6));
            globalFeatures.append(InvertedResidual(cout, cout, 1, 6));
            globalFeatures.append(InvertedResidual(cout, cout, 1, 6));
        }

        ppm = new PyramidPooling(128, 128);
        fuseLowDw = new ConvBnAct(128, 128, 3, groups: 128);
        fuseLowProject = new ConvBnAct(128, 128, 1, relu: false);
        fuseHighProject = new ConvBnAct(64, 128, 1, relu: false);
        classifier = Sequential(SeparableConv(128, 128, 1), SeparableConv(128, 128, 1), Dropout(0.1), Conv2d(128, numClasses, 1));
        aux = Sequential(new ConvBnAct(64, 32, 3), Dropout(0.1), Conv2d(32, numClasses, 1));
        RegisterComponents();
    }

    public IReadOnlyList<float> LossWeights { get; } = [1.0f, 0.4f];

    public (long Height, long Width) ExportSize { get; set; }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return Main(input).Logits.MoveToOuterDisposeScope();
    }

    public IReadOnlyList<Tensor> ForwardWithAuxiliary(Tensor input)
    {
        using var scope = NewDisposeScope();
        var (logits, high) = Main(input);
        var auxLogits = Upsample.Like(aux.call(high), input);
        return [logits.MoveToOuterDisposeScope(), auxLogits.MoveToOuterDisposeScope()];
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var high = graph.Module(downsample, input);
        var low = graph.Module(globalFeatures, high);
        low = ppm.Emit(graph, low, ExportSize.Height / 32, ExportSize.Width / 32);
        low = graph.Module(fuseLowProject, graph.Module(fuseLowDw, graph.ResizeLike(low, high)));
        var x = graph.Relu(graph.Add(graph.Module(fuseHighProject, high), low));
        return graph.ResizeLike(graph.Module(classifier, x), input);
    }

    private (Tensor Logits, Tensor High) Main(Tensor input)
    {
        var high = downsample.call(input);
        var low = ppm.call(globalFeatures.call(high));
        low = fuseLowProject.call(fuseLowDw.call(Upsample.Like(low, high)));
        var x = functional.relu(fuseHighProject.call(high).add_(low));
        return (Upsample.Like(classifier.call(x), input), high);
    }

    /// <summary>Depthwise 3×3 conv-BN-ReLU then pointwise 1×1 conv-BN-ReLU.</summary>
    private static Sequential SeparableConv(long inChannels, long outChannels, long stride) =>
        Sequential(new ConvBnAct(inChannels, inChannels, 3, stride: stride, groups: inChannels), new ConvBnAct(inChannels, outChannels, 1));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            downsample.Dispose();
            globalFeatures.Dispose();
            ppm.Dispose();
            fuseLowDw.Dispose();
            fuseLowProject.Dispose();
            fuseHighProject.Dispose();
            classifier.Dispose();
            aux.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>MobileNetV2's inverted residual: 1×1 expand, depthwise 3×3, linear 1×1 projection; adds the
    /// input (no ReLU after) when the shape is kept.</summary>
    private static Module<Tensor, Tensor> InvertedResidual(long inChannels, long outChannels, long stride, long expansion)
    {
        var hidden = inChannels * expansion;
        var body = Sequential(
            new ConvBnAct(inChannels, hidden, 1),
            new ConvBnAct(hidden, hidden, 3, stride: stride, groups: hidden),
            new ConvBnAct(hidden, outChannels, 1, relu: false));
        return stride == 1 && inChannels == outChannels ? new ResidualUnit(body, relu: false) : body;
    }

    /// <summary>Pyramid pooling: adaptive average pooling to 1, 2, 3 and 6 bins, each reduced to a quarter of
    /// the channels and up-sampled back, concatenated with the input and projected by a 1×1 conv-BN-ReLU.</summary>
    private sealed class PyramidPooling : Module<Tensor, Tensor>
    {
        private static readonly long[] Bins = [1, 2, 3, 6];
        private readonly ModuleList<ConvBnAct> reduce = new();
        private readonly ConvBnAct project;

        public PyramidPooling(long inChannels, long outChannels)
            : base(nameof(PyramidPooling))
        {
            foreach (var _ in Bins)
            {
                reduce.Add(new ConvBnAct(inChannels, inChannels / 4, 1, batchNorm: false));
            }

            project = new ConvBnAct(inChannels * 2, outChannels, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var parts = new List<Tensor> { input };
            for (var i = 0; i < Bins.Length; i++)
            {
                parts.Add(Upsample.Like(reduce[i].call(functional.adaptive_avg_pool2d(input, Bins[i])), input));
            }

            return project.call(cat(parts, 1));
        }

        public string Emit(OnnxGraph graph, string input, long height, long width)
        {
            var parts = new List<string> { input };
            for (var i = 0; i < Bins.Length; i++)
            {
                parts.Add(graph.ResizeLike(graph.Module(reduce[i], graph.AdaptiveAveragePool(input, height, width, Bins[i])), input));
            }

            return graph.Module(project, graph.Concat(parts));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                reduce.Dispose();
                project.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
