using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Backbones;
using PaddleX.Cloud.Vision.Slim;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.PPYolo;

/// <summary>The shared <see cref="ResNetVd"/> as a YOLO backbone: chosen stage outputs, shallow to deep. PaddleX's
/// PP-YOLO backbones: ResNet18_vd (stages 2, 3: strides 16, 32), ResNet50_vd_dcn and ResNet101_vd_dcn (stages 1–3:
/// strides 8, 16, 32, deformable convolutions in the last stage). State-dict names <c>body.*</c>.</summary>
public sealed class ResNetVdBackbone : YoloBackbone
{
    private readonly ResNetVd body;
    private readonly int[] stages;

    public ResNetVdBackbone(string name, int depth, int[] stages, bool deformableLastStage)
        : base(name)
    {
        body = new ResNetVd(depth, deformableStages: deformableLastStage ? [3] : null);
        this.stages = stages;
        Channels = stages.Select(s => body.StageChannels[s]).ToArray();
        RegisterComponents();
    }

    public override IReadOnlyList<long> Channels { get; }

    /// <summary>ResNet_vd's groups (<see cref="ResNetVd.PrunableGroups"/>); the streams leaving the returned stages are
    /// read by the neck too.</summary>
    internal override IReadOnlyList<ChannelGroup> PrunableGroups(string prefix, IReadOnlyList<IReadOnlyList<ChannelConsumer>> readers) =>
        body.PrunableGroups($"{prefix}body.", s => Array.IndexOf(stages, s) is var tap and >= 0 ? readers[tap] : []);

    public override Tensor[] forward(Tensor input)
    {
        var all = body.Stages(input);
        return stages.Select(s => all[s]).ToArray();
    }

    public override string[] EmitOnnx(OnnxGraph graph, string input)
    {
        var all = body.EmitStages(graph, input);
        return stages.Select(s => all[s]).ToArray();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            body.Dispose();
        }

        base.Dispose(disposing);
    }
}
