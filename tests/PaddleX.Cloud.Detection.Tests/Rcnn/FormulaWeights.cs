using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Rcnn;

/// <summary>
/// The closed-form weights and input of fixtures/rcnn/make_fixtures.py: every state-dict tensor is an integer hash
/// of its flat index and its position in the name-sorted state dict, mapped to [-1, 1) and scaled by its kind, so
/// the reference network and ours get bit-identical weights without storing them.
/// </summary>
internal static class FormulaWeights
{
    public static void Apply(nn.Module module)
    {
        using var noGrad = no_grad();
        var state = module.state_dict();
        var names = state.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray();
        var bnPrefixes = names.Where(n => n.EndsWith("running_mean", StringComparison.Ordinal))
            .Select(n => n[..^"running_mean".Length]).ToHashSet();
        for (var k = 0; k < names.Length; k++)
        {
            var name = names[k];
            var t = state[name];
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            {
                continue;
            }

            var prefix = name[..(name.LastIndexOf('.') + 1)];
            var s = arange(t.numel(), dtype: int64).mul(2654435761L).add(40503L * k).remainder(1L << 32).to(float64) / (1L << 32) * 2 - 1;
            Tensor v;
            if (name.EndsWith("running_var", StringComparison.Ordinal))
            {
                v = s * 0.25 + 1.0;
            }
            else if (t.dim() >= 2)
            {
                v = s * (1.8 / Math.Sqrt(t.numel() / t.shape[0]));
            }
            else if (bnPrefixes.Contains(prefix) && name.EndsWith(".weight", StringComparison.Ordinal))
            {
                v = s * 0.1 + 1.0;
            }
            else
            {
                v = s * 0.05;
            }

            t.copy_(v.to(float32).reshape(t.shape));
        }
    }

    /// <summary>[1, 3, size, size]: a sine texture plus a bright rectangle.</summary>
    public static Tensor Image(int size)
    {
        var i = arange(3L * size * size, dtype: float64).reshape(1, 3, size, size);
        var y = arange(size, dtype: float64).reshape(1, 1, size, 1);
        var x = arange(size, dtype: float64).reshape(1, 1, 1, size);
        var box = ((x > 30) & (x < 90) & (y > 20) & (y < 70)).to(float64);
        return ((i * 0.05).sin() * 0.5 + box * 1.5).to(float32);
    }
}
