using System.Globalization;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Rcnn;
using PaddleX.Cloud.Vision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// <c>rcnn-train|rcnn-infer --backbone ResNet50 --size 512 --batch 2 --steps 5 --warmup 1 --threads 2 [--mask]</c>:
/// Faster R-CNN (Mask R-CNN with <c>--mask</c>) images/s, measured like <c>bench/baseline/torch_rcnn_bench.py</c>
/// measures torchvision's <c>fasterrcnn_resnet50_fpn</c> / <c>maskrcnn_resnet50_fpn</c>: random pictures of one size
/// with three fixed boxes each (each box also its object's mask), no resizing, the same proposal counts and
/// TorchVision's RoIAlign (unaligned, 2×2 samples) so both run the same algorithm; inference includes the
/// post-processing (for masks: pasted into the picture). Prints
/// "RESULT &lt;train|infer&gt; &lt;FasterRCNN|MaskRCNN&gt;-&lt;backbone&gt; &lt;size&gt; &lt;batch&gt; &lt;threads&gt; &lt;images/s&gt;".
/// </summary>
internal static class RcnnBench
{
    public static void Run(string mode, Options o)
    {
        string backbone = o.Get("backbone", "ResNet50");
        int size = o.Int("size", 512), batch = o.Int("batch", 2), steps = o.Int("steps", 5), warmup = o.Int("warmup", 1), threads = o.Int("threads", 2);
        TorchRuntime.ConfigureThreads(threads);
        torch.manual_seed(0);
        bool mask = o.Get("mask", "false") == "true";
        var settings = new RcnnSettings { RoiAligned = false, RoiSamplingRatio = 2 };
        using FasterRCNN model = mask ? new MaskRCNN(backbone, 90, settings) : new FasterRCNN(backbone, 90, settings: settings);
        using var optimizer = optim.SGD(model.parameters(), 0.001, momentum: 0.9, weight_decay: 1e-4);
        using var images = randn(batch, 3, size, size);
        float[] corners = [0.1f, 0.1f, 0.5f, 0.5f, 0.4f, 0.3f, 0.9f, 0.8f, 0.2f, 0.6f, 0.6f, 0.95f];
        using var boxes = tensor(corners).reshape(3, 4) * size;
        using var masks = mask ? BoxMasks(boxes, size) : null;
        var targets = Enumerable.Range(0, batch).Select(_ => new DetectionTarget(boxes, tensor(new long[] { 0, 1, 2 }), Masks: masks)).ToList();
        bool train = mode == "rcnn-train";
        if (train)
        {
            model.train();
        }
        else
        {
            model.eval();
        }

        double ips = StepTimer.ImagesPerSecond(warmup, steps, batch, () =>
        {
            if (train)
            {
                optimizer.zero_grad();
                var loss = model.Losses(images, targets).Values.Aggregate((a, b) => a + b);
                loss.backward();
                optimizer.step();
                _ = loss.item<float>();
            }
            else
            {
                _ = model.Detect(images, model.DefaultDetectOptions).Sum(d => d.Boxes.shape[0]);
            }
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {(train ? "train" : "infer")} {(mask ? "MaskRCNN" : "FasterRCNN")}-{backbone} {size} {batch} {threads} {ips:0.00}"));
    }

    /// <summary>[N, size, size] uint8: each box (rounded to whole pixels) filled, as the baseline builds them.</summary>
    private static Tensor BoxMasks(Tensor boxes, int size)
    {
        var masks = zeros(boxes.shape[0], size, size, ScalarType.Byte);
        float[] b = boxes.data<float>().ToArray();
        for (int k = 0; k < boxes.shape[0]; k++)
        {
            int x1 = (int)Math.Round(b[k * 4]), y1 = (int)Math.Round(b[(k * 4) + 1]), x2 = (int)Math.Round(b[(k * 4) + 2]), y2 = (int)Math.Round(b[(k * 4) + 3]);
            using var region = masks[k, y1..y2, x1..x2];
            region.fill_(1);
        }

        return masks;
    }
}
