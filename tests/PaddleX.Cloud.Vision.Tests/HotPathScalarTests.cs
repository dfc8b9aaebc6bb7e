using System.Text.RegularExpressions;
using Xunit;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>
/// Keeps C# numbers out of the Scalar parameters of tensor methods in the code that runs every training step
/// (detection ops, losses and models, the training folder): each would become a temporary Scalar that TorchSharp
/// 0.107 lets the finalizer free under the native call (docs/vision.md, "Known TorchSharp pitfalls"). Such code takes
/// <c>HeldScalars</c> or a Scalar held by a <c>using</c> declaration. Operators (<c>t * 0.5</c>, <c>a + b</c>, which
/// hides an alpha of 1) are outside what a pattern can see and are not checked.
/// </summary>
public sealed class HotPathScalarTests
{
    private static readonly string[] HotFolders =
    [
        "gpu-worker/PaddleX.Cloud.Vision/Detection/Ops",
        "gpu-worker/PaddleX.Cloud.Vision/Detection/Losses",
        "gpu-worker/PaddleX.Cloud.Vision/Detection/Models",
        "gpu-worker/PaddleX.Cloud.Vision/Training",
    ];

    /// <summary>A Scalar-taking tensor method called with a number literal (masked_fill's is its second argument), or
    /// clamp with a named bound (<c>clamp(min: x)</c> converts whatever x is).</summary>
    private static readonly Regex LiteralScalar = new(
        @"\.(clamp_?|clamp_(min|max)_?|masked_fill_?|fill_|mul_?|add_?|sub_?|div_?|pow_?|gt|lt|ge|le|eq|ne)\((min: |max: )?\(?-?[0-9]" +
        @"|\.clamp_?\((min|max): " +
        @"|\.masked_fill_?\([^,()]+, *\(?-?[0-9]",
        RegexOptions.Compiled);

    [Fact]
    public void Hot_tensor_code_passes_no_numbers_to_Scalar_parameters()
    {
        var found = new List<string>();
        foreach (string folder in HotFolders)
        {
            foreach (string file in Directory.EnumerateFiles(Testing.Repository.Path(folder), "*.cs", SearchOption.AllDirectories))
            {
                string[] lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    string code = lines[i].Split("//")[0];
                    if (LiteralScalar.IsMatch(code))
                    {
                        found.Add($"{Path.GetRelativePath(Testing.Repository.Root, file)}:{i + 1}: {lines[i].Trim()}");
                    }
                }
            }
        }

        Assert.True(found.Count == 0, "implicit Scalars in hot paths:\n" + string.Join("\n", found));
    }

    [Fact]
    public void The_pattern_sees_the_forms_it_is_meant_to_catch()
    {
        Assert.Matches(LiteralScalar, "x.clamp(min: 0)");
        Assert.Matches(LiteralScalar, "x.clamp(max: bboxXformClip)");
        Assert.Matches(LiteralScalar, "x.mul(2).add(1)");
        Assert.Matches(LiteralScalar, "m.masked_fill_(below, -1)");
        Assert.DoesNotMatch(LiteralScalar, "x.clamp_min(HeldScalars.Zero)");
        Assert.DoesNotMatch(LiteralScalar, "x.add(y, HeldScalars.One)");
        Assert.DoesNotMatch(LiteralScalar, "stack([a, b], -1)");
    }
}
