using System.Diagnostics;
using System.Globalization;
using PaddleX.Cloud.Vision.Data;
using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Models.Segmentation;
using PaddleX.Cloud.Vision.Runtime;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

// Training-step and data-pipeline throughput of the Vision engine.
//   train    --model ResNet18 --size 64 --batch 32 --steps 20 --warmup 3 --threads 2 [--heap keep|default]
//   infer    --model ResNet18 --size 64 --batch 32 --steps 20 --warmup 3 --threads 2
//   train    --model DeepLabV3P --backbone ResNet50_vd --size 256 --batch 8 --steps 3 --warmup 1   (segmentation:
//            per-pixel cross-entropy over 21 classes; --classes to change)
//   params   --model DeepLabV3P --backbone ResNet50_vd --classes 21   (parameter count, then one line per parameter
//            tensor: name and shape, in registration order; to check a baseline re-implementation against ours)
//   dcn      --op dcn|conv --channels 512 --size 20 --batch 4 --steps 10 --warmup 2 --threads 2   (one 3×3 layer,
//            forward + backward: deformable convolution v2 with random offsets and mask, or the plain convolution
//            of the same shape; "images/s" = feature maps per second)
//   make-data --dir DIR --count 256 --source-size 256
//   data     --dir DIR --size 64 --batch 32 --threads 2 --epochs 2
//   finetune --dir DATASET --pretrain IMAGENET|none --pretrain-dir DIR --model ResNet18 --size 64 --batch 16 --epochs 5 --lr 0.005
//   layers   --batch 32 --steps 10 --warmup 2 --threads 2 [--layer NAME]   (forward + backward of single MobileNetV2 /
//            ResNet18 layers at 224-pixel shapes; prints "RESULT layer <name> <batch> <threads> <CPU ms> <wall ms>")
//   detops   --dir DIR --op nms-10k --threads 2 --runs 20 --warmup 3   (detection ops on the inputs of
//            bench/baseline/torch_detops.py make; prints "RESULT <op> <threads> <median ms> <CPU ms> <check>")
//   rcnn-train / rcnn-infer --backbone ResNet50 --size 512 --batch 2 --steps 5 --warmup 1 --threads 2 [--mask]
//            (Faster R-CNN, or Mask R-CNN with --mask, with FPN on random pictures, as bench/baseline/torch_rcnn_bench.py
//            runs torchvision's)
//   mrcnn-learn --side 64 --channels 64 --rois 32 --epochs 8 --count 80 --batch 4 --lr 0.005 --threads 2   (Mask R-CNN
//            ResNet50-FPN learning from scratch on shapes: box and mask mAP@0.5, wall and CPU seconds; see MaskRcnnLearnBench)
// Prints one result line: "RESULT <what> <model> <size> <batch> <threads> <images/s>" (train/infer add the process's
// CPU seconds per step)
// (finetune: "RESULT finetune <model> <size> <pretrain> <epochs> <best val top-1> <seconds>").
var opts = Options.Parse(args.Skip(1));
string mode = args.Length > 0 ? args[0] : "train";
switch (mode)
{
    case "train":
    case "infer":
        ModelBench(mode, opts);
        break;
    case "params":
        ParamsDump(opts);
        break;
    case "dcn":
        DeformConvBench(opts);
        break;
    case "make-data":
        MakeData(opts.Get("dir", Path.Combine(Path.GetTempPath(), "pdx-bench-data")), opts.Int("count", 256), opts.Int("source-size", 256));
        break;
    case "data":
        DataBench(opts);
        break;
    case "finetune":
        FineTuneBench(opts);
        break;
    case "layers":
        LayerBench.Run(opts);
        break;
    case "detops":
        DetOpsBench.Run(opts);
        break;
    case "rcnn-train":
    case "rcnn-infer":
        RcnnBench.Run(mode, opts);
        break;
    case "mrcnn-learn":
        MaskRcnnLearnBench.Run(opts);
        break;
    default:
        Console.Error.WriteLine($"unknown mode {mode} (train|infer|params|dcn|make-data|data|finetune|layers|detops|rcnn-train|rcnn-infer|mrcnn-learn)");
        return 2;
}

return 0;

static void ModelBench(string mode, Options o)
{
    string name = o.Get("model", "ResNet18");
    int size = o.Int("size", 64), batch = o.Int("batch", 32), steps = o.Int("steps", 20), warmup = o.Int("warmup", 3), threads = o.Int("threads", 2);
    TorchRuntime.ConfigureThreads(threads);
    if (o.Get("heap", "keep") == "keep")
    {
        NativeHeap.KeepFreedMemory(); // as every training run does (TrainingLoop); --heap default measures without it
    }

    torch.manual_seed(0);
    bool segmentation = SegmentationModels.IsKnown(name);
    int classes = o.Int("classes", segmentation ? 21 : 1000);
    string? backbone = segmentation ? SegmentationModels.ResolveBackbone(name, o.Get("backbone", "")) : null;
    using var model = segmentation ? SegmentationModels.Create(name, backbone, classes) : ClassificationModels.Create(name, classes);
    using var optimizer = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9, weight_decay: 1e-4);
    using var x = torch.randn(batch, 3, size, size);
    using var y = torch.randint(0, classes, segmentation ? [batch, size, size] : [batch], dtype: ScalarType.Int64);
    name = backbone is null ? name : $"{name}-{backbone}";
    if (mode == "train")
    {
        model.train();
    }
    else
    {
        model.eval();
    }

    (double ips, double cpuPerStep) = StepTimer.Measure(warmup, steps, batch, () =>
    {
        if (mode == "train")
        {
            optimizer.zero_grad();
            Tensor loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.step();
            _ = loss.item<float>();
        }
        else
        {
            using var noGrad = torch.no_grad();
            _ = model.call(x).sum().item<float>();
        }
    });
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {mode} {name} {size} {batch} {threads} {ips:0.00} {cpuPerStep:0.000}"));
}

static void DeformConvBench(Options o)
{
    string op = o.Get("op", "dcn");
    int channels = o.Int("channels", 512), size = o.Int("size", 20), batch = o.Int("batch", 4), steps = o.Int("steps", 10), warmup = o.Int("warmup", 2), threads = o.Int("threads", 2);
    TorchRuntime.ConfigureThreads(threads);
    torch.manual_seed(0);
    using var x = torch.randn(batch, channels, size, size).requires_grad_();
    using var weight = (torch.randn(channels, channels, 3, 3) * 0.01).requires_grad_();
    using var offset = (torch.randn(batch, 18, size, size) * 2).requires_grad_();
    using var mask = torch.rand(batch, 9, size, size).requires_grad_();
    var watch = new Stopwatch();
    for (int i = 0; i < warmup + steps; i++)
    {
        if (i == warmup)
        {
            watch.Start();
        }

        using var scope = torch.NewDisposeScope();
        Tensor y = op == "dcn"
            ? PaddleX.Cloud.Vision.Detection.Ops.DeformConv2d.Apply(x, offset, weight, null, mask, 1, 1, 1)
            : nn.functional.conv2d(x, weight, padding: [1]);
        y.sum().backward();
        _ = x.grad!.sum().item<float>();
    }

    watch.Stop();
    string name = op == "dcn" ? "DeformConv2d" : "Conv2d";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT dcn {name}-{channels} {size} {batch} {threads} {steps * batch / watch.Elapsed.TotalSeconds:0.00}"));
}

static void ParamsDump(Options o)
{
    string name = o.Get("model", "DeepLabV3P");
    bool segmentation = SegmentationModels.IsKnown(name);
    int classes = o.Int("classes", segmentation ? 21 : 1000);
    string? backbone = segmentation ? SegmentationModels.ResolveBackbone(name, o.Get("backbone", "")) : null;
    using var model = segmentation ? SegmentationModels.Create(name, backbone, classes) : ClassificationModels.Create(name, classes);
    var parameters = model.named_parameters().ToList();
    long total = parameters.Sum(p => p.parameter.numel());
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PARAMS {total} tensors {parameters.Count}"));
    foreach (var (pname, p) in parameters)
    {
        Console.WriteLine($"{pname} {string.Join('x', p.shape)}");
    }
}

static void MakeData(string dir, int count, int sourceSize)
{
    Directory.CreateDirectory(dir);
    var rng = new Random(5);
    var lines = new List<string>();
    string[] labels = ["a", "b", "c", "d"];
    File.WriteAllLines(Path.Combine(dir, "labels.txt"), labels);
    for (int i = 0; i < count; i++)
    {
        int label = i % labels.Length;
        string rel = $"img_{i:D5}.jpg";
        var info = new SKImageInfo(sourceSize, sourceSize);
        using var surface = SKSurface.Create(info);
        surface.Canvas.Clear(new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
        using var paint = new SKPaint { IsAntialias = true };
        for (int k = 0; k < 30; k++)
        {
            paint.Color = new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));
            surface.Canvas.DrawCircle(rng.Next(sourceSize), rng.Next(sourceSize), rng.Next(4, sourceSize / 4), paint);
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        File.WriteAllBytes(Path.Combine(dir, rel), data.ToArray());
        lines.Add($"{rel} {label}");
    }

    File.WriteAllLines(Path.Combine(dir, "train_list.txt"), lines);
    Console.WriteLine($"wrote {count} {sourceSize}x{sourceSize} JPEG images to {dir}");
}

static void FineTuneBench(Options o)
{
    string model = o.Get("model", "ResNet18"), pretrain = o.Get("pretrain", "IMAGENET");
    int size = o.Int("size", 64), epochs = o.Int("epochs", 5);
    string output = Path.Combine(Path.GetTempPath(), "pdx-bench-finetune-" + Guid.NewGuid().ToString("N")[..8]);
    var p = new PaddleX.Cloud.Vision.Training.TrainParams
    {
        Model = model,
        ImageShape = [size, size],
        BatchSize = o.Int("batch", 16),
        NumEpochs = epochs,
        LearningRate = double.Parse(o.Get("lr", "0.005"), CultureInfo.InvariantCulture),
        LrPolicy = "Piecewise",
        LrDecayEpochs = [Math.Max(1, epochs - 1)],
        SaveIntervalEpochs = 1,
        PretrainWeights = pretrain == "none" ? "" : pretrain,
        PretrainDir = o.Get("pretrain-dir", Path.Combine(Path.GetTempPath(), "pdx-bench-pretrain")),
        TorchThreads = o.Int("threads", 2),
        Seed = o.Int("seed", 1),
    };
    var watch = Stopwatch.StartNew();
    try
    {
        var result = new PaddleX.Cloud.Vision.Training.ClassificationTrainer().Run(new PaddleX.Cloud.Vision.Training.TrainingRequest
        {
            Params = p,
            DatasetDir = o.Get("dir", "."),
            OutputDir = output,
            Log = Console.Error,
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT finetune {model} {size} {pretrain} {epochs} {result.BestAcc1:F4} {watch.Elapsed.TotalSeconds:F0}"));
    }
    finally
    {
        Directory.Delete(output, true);
    }
}

static void DataBench(Options o)
{
    string dir = o.Get("dir", Path.Combine(Path.GetTempPath(), "pdx-bench-data"));
    int size = o.Int("size", 64), batch = o.Int("batch", 32), threads = o.Int("threads", 2), epochs = o.Int("epochs", 2);
    ClassificationDataset ds = ClassificationDataset.Load(dir, "train_list.txt");
    var augment = new AugmentOptions
    {
        HorizontalFlip = true, Brightness = true, Contrast = true, Saturation = true, Hue = true,
        BrightnessProb = 0.5, ContrastProb = 0.5, SaturationProb = 0.5, HueProb = 0.5,
    };
    var t = new ClassificationTransforms(size, size, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], augment);
    var loader = new BatchLoader(ds.Samples, t, batch, shuffle: true, augment: true, dropLast: true, seed: 1, decodeWorkers: threads);
    _ = loader.Epoch(0).First(); // warm up codecs
    var watch = Stopwatch.StartNew();
    long images = 0;
    for (int e = 1; e <= epochs; e++)
    {
        foreach (HostBatch b in loader.Epoch(e))
        {
            images += b.Count;
        }
    }

    watch.Stop();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT data pipeline {size} {batch} {threads} {images / watch.Elapsed.TotalSeconds:0.0}"));
}

internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Options Parse(IEnumerable<string> args)
    {
        var o = new Options();
        string? key = null;
        foreach (string a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                key = a[2..];
                o._values[key] = "true";
            }
            else if (key is not null)
            {
                o._values[key] = a;
                key = null;
            }
        }

        return o;
    }

    public string Get(string key, string fallback) => _values.TryGetValue(key, out string? v) ? v : fallback;

    public int Int(string key, int fallback) => _values.TryGetValue(key, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
