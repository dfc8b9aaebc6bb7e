using PaddleX.Cloud.Contracts.Training;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Models;

/// <summary>
/// The named weights that ship with the engine: ResNet18 <c>IMAGENET</c>, imported from the ONNX files of the NuGet
/// package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (copied to <c>pretrained/</c> next to the assemblies by the
/// build). The 63 MB ONNX is parsed once and cached in the engine's own format as
/// <c>{cache}/IMAGENET/ResNet18.dat</c>, the catalog naming, so later runs find it like any other placed file.
/// </summary>
public static class BuiltInWeights
{
    public const string ImageNet = PretrainNaming.BuiltInSet;
    public const string ResNet18 = PretrainNaming.BuiltInModel;

    /// <summary>The mean and std the cached weights are converted for: PaddleX's recommended ones for classification.</summary>
    public static readonly double[] ImageMean = [0.485, 0.456, 0.406];
    public static readonly double[] ImageStd = [0.229, 0.224, 0.225];

    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "pretrained");

    public static string OnnxFile => Path.Combine(Folder, "ResNet18.onnx");

    public static string PreprocessFile => Path.Combine(Folder, "ResNetPreprocess.onnx");

    /// <summary>Whether the engine itself holds <paramref name="set"/> weights for <paramref name="model"/>.</summary>
    public static bool Has(string model, string set) =>
        model == ResNet18 && set.Equals(ImageNet, StringComparison.OrdinalIgnoreCase) && File.Exists(OnnxFile) && File.Exists(PreprocessFile);

    /// <summary>The cached converted file, written on first use; null when the engine has no such weights.</summary>
    public static string? Materialize(string model, string set, string? cacheDir)
    {
        if (!Has(model, set))
        {
            return null;
        }

        string dir = Path.Combine(cacheDir ?? Path.Combine(Path.GetTempPath(), "paddlex-pretrained"), ImageNet);
        string file = Path.Combine(dir, ResNet18 + ".dat");
        if (File.Exists(file))
        {
            return file;
        }

        Directory.CreateDirectory(dir);
        Dictionary<string, Tensor> converted = ResNet18OnnxImport.ReadForNormalizedRgb(OnnxFile, PreprocessFile);
        try
        {
            // Concurrent workers may convert at once: each writes its own temp file, the rename is atomic.
            string tmp = $"{file}.{Guid.NewGuid():N}.tmp";
            PretrainedWeights.WriteStateDict(tmp, converted);
            File.Move(tmp, file, overwrite: true);
            return file;
        }
        finally
        {
            foreach (Tensor t in converted.Values)
            {
                t.Dispose();
            }
        }
    }
}
