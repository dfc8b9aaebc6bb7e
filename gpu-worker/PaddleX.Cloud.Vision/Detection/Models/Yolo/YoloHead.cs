using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Runtime;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>The raw predictions of one output level, each [B, A, H, W] (<see cref="Cls"/> [B, A, H, W, C]):
/// centre, size and objectness logits, class logits, and the IoU logit of IoU-aware heads.</summary>
public sealed record YoloLevel(Tensor X, Tensor Y, Tensor W, Tensor H, Tensor Obj, Tensor Cls, Tensor? Iou);

/// <summary>
/// YOLOv3's head: per level a 1×1 convolution (with bias) to A·(5 + C) channels (plus A IoU channels first when
/// IoU-aware), laid out [A, 5 + C] as PaddleDetection does, and the decoding of those channels into boxes in input
/// pixels (centre <c>(s·σ(tx) − (s−1)/2 + gx)·stride</c>, size <c>exp(tw)·anchor</c>) and scores
/// <c>σ(obj)·σ(cls)</c>.
/// </summary>
public sealed class YoloHead : Module<Tensor[], Tensor[]>
{
    private readonly ModuleList<Conv2d> outputs = new();

    /// <param name="inChannels">neck channels, deep to shallow.</param>
    public YoloHead(IReadOnlyList<long> inChannels, int numClasses, YoloOptions options)
        : base(nameof(YoloHead))
    {
        Options = options;
        NumClasses = numClasses;
        for (int i = 0; i < inChannels.Count; i++)
        {
            long anchors = options.AnchorMasks[i].Length;
            Conv2d conv = Conv2d(inChannels[i], anchors * (5 + numClasses + (options.IouAware ? 1 : 0)), 1);
            InitObjectnessBias(conv, (int)anchors, numClasses, options);
            outputs.Add(conv);
        }

        RegisterComponents();
    }

    /// <summary>Objectness logits start at <see cref="YoloOptions.ObjectnessPrior"/> when one is set: almost every cell
    /// holds no object, and a head starting at 0.5 everywhere spends its first steps on a background loss summed over
    /// all cells, whose large gradient upsets a network trained from scratch.</summary>
    private static void InitObjectnessBias(Conv2d conv, int anchors, int numClasses, YoloOptions options)
    {
        if (options.ObjectnessPrior is not (> 0 and < 1) || conv.bias is null)
        {
            return;
        }

        double logit = Math.Log(options.ObjectnessPrior / (1 - options.ObjectnessPrior));
        int first = options.IouAware ? anchors : 0;
        using var noGrad = no_grad();
        for (int a = 0; a < anchors; a++)
        {
            conv.bias[first + a * (5 + numClasses) + 4].fill_(logit);
        }
    }

    public YoloOptions Options { get; }

    public int NumClasses { get; }

    public override Tensor[] forward(Tensor[] features) => features.Select((f, i) => outputs[i].call(f)).ToArray();

    public string[] EmitOnnx(OnnxGraph graph, string[] features) => features.Select((f, i) => graph.Conv(outputs[i], f)).ToArray();

    /// <summary>Splits one level's output [B, A·(5+C) (+A), H, W] into its named parts.</summary>
    public YoloLevel Split(Tensor output, int level)
    {
        int a = Options.AnchorMasks[level].Length;
        long b = output.shape[0], h = output.shape[2], w = output.shape[3];
        Tensor? iou = null;
        if (Options.IouAware)
        {
            iou = output.narrow(1, 0, a);
            output = output.narrow(1, a, output.shape[1] - a);
        }

        Tensor p = output.reshape(b, a, 5 + NumClasses, h, w);
        return new YoloLevel(p.select(2, 0), p.select(2, 1), p.select(2, 2), p.select(2, 3), p.select(2, 4),
            p.narrow(2, 5, NumClasses).permute(0, 1, 3, 4, 2), iou);
    }

    /// <summary>Decoded centres and sizes of a level in input pixels: [B, A, H, W, 4] as x1, y1, x2, y2.</summary>
    public Tensor DecodeBoxes(YoloLevel p, int level)
    {
        using var scope = NewDisposeScope();
        long h = p.X.shape[2], w = p.X.shape[3];
        int stride = Options.Strides[level];
        var device = p.X.device;
        double s = Options.ScaleXY;
        Tensor gx = arange(w, float32, device).reshape(1, 1, 1, w);
        Tensor gy = arange(h, float32, device).reshape(1, 1, h, 1);
        Tensor cx = (p.X.sigmoid() * s - 0.5 * (s - 1) + gx) * stride;
        Tensor cy = (p.Y.sigmoid() * s - 0.5 * (s - 1) + gy) * stride;
        var (aw, ah) = AnchorTensors(level, device);
        Tensor bw = p.W.exp() * aw;
        Tensor bh = p.H.exp() * ah;
        return stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], -1).MoveToOuterDisposeScope();
    }

    /// <summary>Class scores of a level: [B, A, H, W, C] = objectness (IoU-blended when IoU-aware) × class probability.</summary>
    public Tensor DecodeScores(YoloLevel p)
    {
        using var scope = NewDisposeScope();
        Tensor obj = p.Obj.sigmoid();
        if (p.Iou is not null)
        {
            double f = Options.IouAwareFactor;
            using Scalar objPower = 1 - f, iouPower = f;
            obj = obj.pow(objPower) * p.Iou.sigmoid().pow(iouPower);
        }

        return (obj.unsqueeze(-1) * p.Cls.sigmoid()).MoveToOuterDisposeScope();
    }

    /// <summary>All levels decoded: boxes [B, M, 4] (input pixels, clipped to the input) and scores [B, M, C].</summary>
    public (Tensor Boxes, Tensor Scores) Decode(Tensor[] raw, long inputHeight, long inputWidth)
    {
        using var scope = NewDisposeScope();
        var boxes = new List<Tensor>();
        var scores = new List<Tensor>();
        for (int i = 0; i < raw.Length; i++)
        {
            YoloLevel p = Split(raw[i], i);
            long b = raw[i].shape[0];
            boxes.Add(DecodeBoxes(p, i).reshape(b, -1, 4));
            scores.Add(DecodeScores(p).reshape(b, -1, NumClasses));
        }

        Tensor all = cat(boxes, 1);
        Tensor limit = tensor(new float[] { inputWidth, inputHeight, inputWidth, inputHeight }, device: all.device);
        all = all.clamp_min(HeldScalars.Zero).minimum(limit);
        return (all.MoveToOuterDisposeScope(), cat(scores, 1).MoveToOuterDisposeScope());
    }

    /// <summary>The ONNX form of <see cref="Decode"/> for one picture of the given input size: boxes [1, M, 4] and
    /// scores [1, M, C] from the head outputs (deep to shallow), with the cell grids and anchors as constants.</summary>
    public (string Boxes, string Scores) EmitDecode(OnnxGraph g, string[] raw, int inputHeight, int inputWidth)
    {
        var boxes = new List<string>();
        var scores = new List<string>();
        int c = NumClasses;
        double s = Options.ScaleXY;
        for (int level = 0; level < raw.Length; level++)
        {
            int stride = Options.Strides[level];
            long h = inputHeight / stride, w = inputWidth / stride;
            int[] mask = Options.AnchorMasks[level];
            long a = mask.Length;
            string x = raw[level];
            string? iou = null;
            if (Options.IouAware)
            {
                iou = g.Node("Slice", [x, g.Longs(0), g.Longs(a), g.Longs(1)]);
                x = g.Node("Slice", [x, g.Longs(a), g.Longs(a * (6 + c)), g.Longs(1)]);
            }

            // [1, A·(5+C), h, w] → [1, A, h, w, 5+C]
            string p = g.Node("Transpose", [g.Node("Reshape", [x, g.Longs(1, a, 5 + c, h, w)])], OnnxGraph.Ints("perm", 0, 1, 3, 4, 2));
            string Part(long from, long to) => g.Node("Slice", [p, g.Longs(from), g.Longs(to), g.Longs(4)]);
            string Offset(string t) => g.Node("Sub", [g.Mul(g.Sigmoid(t), g.Floats((float)s)), g.Floats((float)(0.5 * (s - 1)))]);
            string gx = g.Floats([1, 1, 1, w, 1], Enumerable.Range(0, (int)w).Select(i => (float)i).ToArray());
            string gy = g.Floats([1, 1, h, 1, 1], Enumerable.Range(0, (int)h).Select(i => (float)i).ToArray());
            string cx = g.Mul(g.Add(Offset(Part(0, 1)), gx), g.Floats((float)stride));
            string cy = g.Mul(g.Add(Offset(Part(1, 2)), gy), g.Floats((float)stride));
            string halfW = g.Mul(g.Node("Exp", [Part(2, 3)]), g.Floats([1, a, 1, 1, 1], mask.Select(m => Options.Anchors[m].W / 2).ToArray()));
            string halfH = g.Mul(g.Node("Exp", [Part(3, 4)]), g.Floats([1, a, 1, 1, 1], mask.Select(m => Options.Anchors[m].H / 2).ToArray()));
            string box = g.Node("Concat", [g.Node("Sub", [cx, halfW]), g.Node("Sub", [cy, halfH]), g.Add(cx, halfW), g.Add(cy, halfH)], OnnxGraph.Attr("axis", 4L));
            boxes.Add(g.Node("Reshape", [box, g.Longs(1, -1, 4)]));
            string obj = g.Sigmoid(Part(4, 5));
            if (iou is not null)
            {
                double f = Options.IouAwareFactor;
                string iouP = g.Sigmoid(g.Node("Unsqueeze", [iou, g.Longs(4)]));
                obj = g.Mul(g.Node("Pow", [obj, g.Floats((float)(1 - f))]), g.Node("Pow", [iouP, g.Floats((float)f)]));
            }

            scores.Add(g.Node("Reshape", [g.Mul(obj, g.Sigmoid(Part(5, 5 + c))), g.Longs(1, -1, c)]));
        }

        string all = g.Node("Concat", boxes, OnnxGraph.Attr("axis", 1L));
        string limit = g.Floats([4], [inputWidth, inputHeight, inputWidth, inputHeight]);
        all = g.Node("Min", [g.Node("Max", [all, g.Floats(0f)]), limit]);
        return (all, g.Node("Concat", scores, OnnxGraph.Attr("axis", 1L)));
    }

    /// <summary>The level's anchor widths and heights shaped [1, A, 1, 1] for broadcasting.</summary>
    internal (Tensor W, Tensor H) AnchorTensors(int level, Device device)
    {
        int[] mask = Options.AnchorMasks[level];
        float[] w = mask.Select(m => Options.Anchors[m].W).ToArray();
        float[] h = mask.Select(m => Options.Anchors[m].H).ToArray();
        return (tensor(w, device: device).reshape(1, mask.Length, 1, 1), tensor(h, device: device).reshape(1, mask.Length, 1, 1));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            outputs.Dispose();
        }

        base.Dispose(disposing);
    }
}
