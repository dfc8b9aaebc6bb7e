using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Models.Segmentation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>Models in eval mode with non-trivial BatchNorm statistics and affine parameters, so that
/// folding BatchNorm into the convolutions is really exercised by the export tests.</summary>
internal static class ExportTestModels
{
    public static nn.Module<Tensor, Tensor> Classifier(string name, int classes)
    {
        torch.set_num_threads(2);
        torch.manual_seed(11);
        return Prepare(ClassificationModels.Create(name, classes));
    }

    public static nn.Module<Tensor, Tensor> Segmenter(string name, int classes, int bands)
    {
        torch.set_num_threads(2);
        torch.manual_seed(13);
        return Prepare(SegmentationModels.Create(name, null, classes, bands));
    }

    private static nn.Module<Tensor, Tensor> Prepare(nn.Module<Tensor, Tensor> model)
    {
        SpreadBatchNorm(model);
        model.eval();
        return model;
    }

    /// <summary>Random running statistics and affine parameters in every BatchNorm of <paramref name="model"/>.</summary>
    public static void SpreadBatchNorm(nn.Module model)
    {
        using (no_grad())
        {
            foreach (var bn in model.modules().OfType<BatchNorm2d>())
            {
                bn.running_mean!.copy_(randn_like(bn.running_mean) * 0.1);
                bn.running_var!.copy_(rand_like(bn.running_var) + 1.0);
                bn.weight!.copy_((rand_like(bn.weight) * 0.5) + 0.5);
                bn.bias!.copy_(randn_like(bn.bias) * 0.1);
            }
        }
    }
}
