namespace PaddleX.Cloud.Contracts.Training;

/// <summary>
/// Where named pretrained weights (<c>pretrain_weights: "IMAGENET"</c>) lie in a weights folder — the workspace's
/// <c>pretrain/</c> folder or the operator's catalog: <c>{SET}/{Model}.{ext}</c> (the catalog naming),
/// <c>{Model}_{SET}.{ext}</c> or <c>{Model}/{SET}.{ext}</c>, each also as a checkpoint folder holding
/// <c>model.{ext}</c>. Shared by the engine, which loads them, and the API, which lists what is available.
/// </summary>
public static class PretrainNaming
{
    /// <summary>The weights the engine carries itself (ImageNet ResNet18, imported from an ONNX package).</summary>
    public const string BuiltInSet = "IMAGENET";
    public const string BuiltInModel = "ResNet18";

    public static readonly IReadOnlyList<string> Extensions = [".dat", ".pth", ".pt", ".bin", ".safetensors", ".onnx"];

    /// <summary>Relative paths (without extension, '/'-separated) where <paramref name="set"/> of <paramref name="model"/> may lie, in lookup order.</summary>
    public static IReadOnlyList<string> Stems(string model, string set) => [$"{set}/{model}", $"{model}_{set}", $"{model}/{set}"];

    public static bool IsWeightsFile(string name) => Extensions.Contains(Path.GetExtension(name).ToLowerInvariant());

    /// <summary>The set that a file (path relative to a weights folder, '/'-separated) holds for <paramref name="model"/>, or null.</summary>
    public static string? SetOf(string relativePath, string model)
    {
        string[] parts = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || !IsWeightsFile(parts[^1]))
        {
            return null;
        }

        string stem = Path.GetFileNameWithoutExtension(parts[^1]);
        return parts.Length switch
        {
            1 when stem.StartsWith(model + "_", StringComparison.Ordinal) && stem.Length > model.Length + 1 => stem[(model.Length + 1)..],
            2 when stem == model => parts[0],
            2 when parts[0] == model => stem,
            3 when stem == "model" && parts[1] == model => parts[0],
            3 when stem == "model" && parts[0] == model => parts[1],
            _ => null,
        };
    }

    /// <summary>The sets found among <paramref name="relativePaths"/> for <paramref name="model"/>, plus the built-in one
    /// unless <paramref name="builtIn"/> is false (an engine without its package files), sorted.</summary>
    public static IReadOnlyList<string> Available(string model, IEnumerable<string> relativePaths, bool builtIn = true)
    {
        var sets = new SortedSet<string>(relativePaths.Select(p => SetOf(p, model)).OfType<string>(), StringComparer.Ordinal);
        if (builtIn && model == BuiltInModel)
        {
            sets.Add(BuiltInSet);
        }

        return sets.ToArray();
    }
}
