using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Backbones;

/// <summary>
/// HRNet-W18 with an FCN head, as PaddleX 2.x builds it: a stride-4 stem (two 3×3 stride-2 convolutions),
/// stage 1 of four bottlenecks (256 channels), then stages 2–4 with 2, 3 and 4 parallel branches of
/// 18/36/72/144 channels (1, 4 and 3 modules of four basic blocks per branch), every module ending in a
/// multi-resolution fusion. The head concatenates all branches at stride 4 (270 channels), applies a 1×1
/// conv-BN-ReLU and a 1×1 classifier, and up-samples to the input size. Without a head (<c>numClasses</c> 0) it is
/// the detection backbone: <see cref="Branches"/> gives the four branch outputs (strides 4, 8, 16, 32).
/// </summary>
public sealed class HRNetW18 : Module<Tensor, Tensor>, IOnnxExportable
{
    private static readonly long[] Widths = [18, 36, 72, 144];
    private static readonly int[] ModulesPerStage = [1, 4, 3];

    private readonly Sequential stem;
    private readonly Sequential stage1;
    private readonly ModuleList<Module<Tensor, Tensor>> transitions = new();
    private readonly ModuleList<HighResolutionModule> stageModules = new();
    private readonly ConvBnAct? headConv;
    private readonly Conv2d? cls;

    public HRNetW18(int numClasses, int inChannels)
        : base(nameof(HRNetW18))
    {
        stem = Sequential(new ConvBnAct(inChannels, 64, 3, stride: 2), new ConvBnAct(64, 64, 3, stride: 2));
        stage1 = Sequential();
        for (var i = 0; i < 4; i++)
        {
            stage1.append(HRNetUnits.Bottleneck(i == 0 ? 64 : 256, 64));
        }

        // Transition before stage s: branch 0..s-2 adapt their channels (stage 2 only), a new branch is a
        // strided 3×3 convolution of the previous lowest-resolution branch.
        transitions.Add(new ConvBnAct(256, Widths[0], 3));
        transitions.Add(new ConvBnAct(256, Widths[1], 3, stride: 2));
        transitions.Add(new ConvBnAct(Widths[1], Widths[2], 3, stride: 2));
        transitions.Add(new ConvBnAct(Widths[2], Widths[3], 3, stride: 2));
        for (var s = 0; s < ModulesPerStage.Length; s++)
        {
            for (var m = 0; m < ModulesPerStage[s]; m++)
            {
                stageModules.Add(new HighResolutionModule(Widths[..(s + 2)]));
            }
        }

        var total = Widths.Sum();
        if (numClasses > 0)
        {
            headConv = new ConvBnAct(total, total, 1);
            cls = Conv2d(total, numClasses, 1);
        }

        RegisterComponents();
    }

    /// <summary>Branch widths (channels of <see cref="Branches"/>' outputs).</summary>
    public static IReadOnlyList<long> BranchChannels => Widths;

    /// <summary>The four branch outputs of the last stage, highest resolution first.</summary>
    public List<Tensor> Branches(Tensor input)
    {
        var x = stage1.call(stem.call(input));
        var branches = new List<Tensor> { transitions[0].call(x), transitions[1].call(x) };
        var next = 2;
        foreach (var module in stageModules)
        {
            if (module.Branches > branches.Count)
            {
                branches.Add(transitions[next++].call(branches[^1]));
            }

            branches = module.Forward(branches);
        }

        return branches;
    }

    public override Tensor forward(Tensor input)
    {
        if (headConv is null || cls is null)
        {
            throw new InvalidOperationException("HRNet_W18 without a head: call Branches");
        }

        using var scope = NewDisposeScope();
        var branches = Branches(input);
        var head = cat(branches.Select(b => Upsample.Like(b, branches[0])).ToList(), 1);
        return Upsample.Like(cls.call(headConv.call(head)), input).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        if (headConv is null || cls is null)
        {
            throw new InvalidOperationException("HRNet_W18 without a head has no single output to export");
        }

        var branches = EmitBranches(graph, input);
        var head = graph.Concat(branches.Select(b => graph.ResizeLike(b, branches[0])).ToList());
        return graph.ResizeLike(graph.Conv(cls, graph.Module(headConv, head)), input);
    }

    /// <summary>The graph values of <see cref="Branches"/>' four outputs.</summary>
    public List<string> EmitBranches(OnnxGraph graph, string input)
    {
        var x = graph.Module(stage1, graph.Module(stem, input));
        var branches = new List<string> { graph.Module(transitions[0], x), graph.Module(transitions[1], x) };
        var next = 2;
        foreach (var module in stageModules)
        {
            if (module.Branches > branches.Count)
            {
                branches.Add(graph.Module(transitions[next++], branches[^1]));
            }

            branches = module.Emit(graph, branches);
        }

        return branches;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            stem.Dispose();
            stage1.Dispose();
            transitions.Dispose();
            stageModules.Dispose();
            headConv?.Dispose();
            cls?.Dispose();
        }

        base.Dispose(disposing);
    }
}
