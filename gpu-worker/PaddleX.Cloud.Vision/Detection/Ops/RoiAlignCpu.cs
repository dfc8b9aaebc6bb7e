using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// RoIAlign on float32 CPU features: every output cell is a fixed weighted sum of feature cells (its samples' bilinear
/// corners, divided by the sample count), so the boxes become one sparse row-per-output-cell plan and the features a
/// channels-last [Σ B·H·W, C] table. Forward adds whole channel rows (vectorised, rows split over threads); backward
/// scatters the output gradient back along the same plan (channels split over threads, so no two threads write one
/// cell). Same multiply-adds as torchvision's kernel, contiguous in memory instead of strided per channel.
/// </summary>
internal static class RoiAlignCpu
{
    public static Tensor Pool(IReadOnlyList<Tensor> features, RoiBins[] bins, int[] levelOf, int outputHeight, int outputWidth)
    {
        long channels = features[0].shape[1];
        var levels = new (long Offset, long Height, long Width)[features.Count];
        long offset = 0;
        for (int l = 0; l < features.Count; l++)
        {
            var f = features[l];
            levels[l] = (offset, f.shape[2], f.shape[3]);
            offset += f.shape[0] * f.shape[2] * f.shape[3];
        }

        var plan = SamplingPlan.Build(bins, levelOf, levels, offset, outputHeight, outputWidth);
        using var scope = NewDisposeScope();
        var table = cat(features.Select(f => f.permute(0, 2, 3, 1).reshape(-1, channels)).ToArray(), 0).contiguous();
        var pooled = RoiAlignFunction.apply(table, plan);
        return pooled.view(bins.Length, outputHeight, outputWidth, channels).permute(0, 3, 1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The autograd node: the table in, the pooled rows out, the plan carried to the backward.</summary>
    private sealed class RoiAlignFunction : autograd.SingleTensorFunction<RoiAlignFunction>
    {
        public override string Name => nameof(RoiAlignFunction);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var table = (Tensor)vars[0];
            var plan = (SamplingPlan)vars[1];
            ctx.save_data(nameof(SamplingPlan), plan);
            int channels = (int)table.shape[1];
            float[] pooled = plan.Gather(HostArrays.Of<float>(table, ScalarType.Float32), channels);
            return tensor(pooled).view(plan.Rows, channels);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            var plan = (SamplingPlan)ctx.get_data(nameof(SamplingPlan));
            int channels = (int)grad_output.shape[1];
            float[] grad = plan.Scatter(HostArrays.Of<float>(grad_output, ScalarType.Float32), channels);
            return [tensor(grad).view(plan.TableRows, channels), null!];
        }
    }
}
