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

    /// <summary>Where converted weights are kept for every workspace on this machine, one folder per source
    /// (<see cref="SourceKey"/>): a cloud worker serves many workspaces, each with its own pretrain folder, and
    /// should convert the 63 MB ONNX once, not once per workspace or job.</summary>
    public static string MachineCache { get; set; } = Path.Combine(Path.GetTempPath(), "paddlex-pretrained-cache");

    /// <summary>How many times this process converted the ONNX (what the machine cache saves).</summary>
    public static int Conversions => conversions;

    private static int conversions;

    /// <summary>The SHA-256 of the two source files, hashed once per process: a different package version gets
    /// a cache entry of its own instead of weights converted from another.</summary>
    private static readonly Lazy<string> SourceKey = new(() =>
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var path in new[] { OnnxFile, PreprocessFile })
        {
            hash.AppendData(File.ReadAllBytes(path));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    });

    /// <summary>The cached converted file, written on first use; null when the engine has no such weights.
    /// The file in <paramref name="cacheDir"/> (the workspace's pretrain folder) is a copy of the machine cache's.</summary>
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

        string shared = Path.Combine(MachineCache, SourceKey.Value, ResNet18 + ".dat");
        if (!File.Exists(shared))
        {
            ConvertInto(shared);
        }

        Directory.CreateDirectory(dir);
        PlaceAtomically(file, tmp => File.Copy(shared, tmp));
        return file;
    }

    private static void ConvertInto(string file)
    {
        Interlocked.Increment(ref conversions);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        Dictionary<string, Tensor> converted = ResNet18OnnxImport.ReadForNormalizedRgb(OnnxFile, PreprocessFile);
        try
        {
            PlaceAtomically(file, tmp => PretrainedWeights.WriteStateDict(tmp, converted));
        }
        finally
        {
            foreach (Tensor t in converted.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>Concurrent workers may write at once: each writes its own temp file, the rename is atomic.</summary>
    private static void PlaceAtomically(string file, Action<string> write)
    {
        string tmp = $"{file}.{Guid.NewGuid():N}.tmp";
        write(tmp);
        File.Move(tmp, file, overwrite: true);
    }
}
