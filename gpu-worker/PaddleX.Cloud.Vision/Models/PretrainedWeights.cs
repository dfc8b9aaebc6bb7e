using System.Collections;
using PaddleX.Cloud.Contracts.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Models;

/// <summary>What <see cref="PretrainedWeights.Apply"/> did; <see cref="Status"/> is meant for the task log.</summary>
public sealed record PretrainResult(
    bool Loaded,
    string Status,
    string? Source,
    int LoadedTensors,
    int ModelTensors,
    IReadOnlyList<string> Skipped);

/// <summary>
/// Loads pretrained weights into a model by name and shape (so a different class count still loads the
/// backbone). Accepts TorchSharp <c>module.save</c> files (<c>.dat</c>), PyTorch state dicts (<c>.pth/.pt/.bin</c>,
/// via TorchSharp.PyBridge), <c>.safetensors</c> and the packaged ResNet18 layout as <c>.onnx</c>.
/// <para>A named set such as <c>IMAGENET</c> (no path separator) is looked up, in this order, in the workspace's
/// pretrain folder, in the weights catalog, and finally among the engine's <see cref="BuiltInWeights"/>; each
/// folder is searched as <c>{SET}/{Model}.{ext}</c>, <c>{Model}_{SET}.{ext}</c> and <c>{Model}/{SET}.{ext}</c>
/// (a folder instead of a file means a checkpoint folder with <c>model.*</c>). A name never resolves against the
/// process's working directory; an explicit path must be absolute. When nothing is found the model trains from
/// scratch and the returned status says so.</para>
/// </summary>
public static class PretrainedWeights
{
    private static readonly IReadOnlyList<string> Extensions = PretrainNaming.Extensions;

    /// <summary>The log wording <c>GET /project/task/metrics</c> turns into <c>download_status</c> "Done" / "Failed".</summary>
    public const string Found = "download completed";
    public const string NotFound = "download failed";

    public static PretrainResult Apply(nn.Module model, string modelName, string? pretrain, string? weightsDir, string? catalogDir = null)
    {
        int total = model.state_dict().Count;
        if (string.IsNullOrWhiteSpace(pretrain) || pretrain.Equals("none", StringComparison.OrdinalIgnoreCase)
            || pretrain.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            return new PretrainResult(false, "pretrain_weights not set: training from scratch", null, 0, total, []);
        }

        string? file = Resolve(modelName, pretrain, weightsDir, catalogDir);
        if (file is null)
        {
            string where = string.Join(", ", new[] { weightsDir, catalogDir }.Where(d => !string.IsNullOrEmpty(d)));
            where = where.Length == 0 ? "no weights folder configured" : $"not found in {where}";
            return new PretrainResult(false, $"Pretrained weights '{pretrain}' for {modelName} unavailable ({where}), {NotFound}: training from scratch", null, 0, total, []);
        }

        return LoadMatching(model, file);
    }

    /// <summary>The network layout the weights that <see cref="Apply"/> would load need (null: the standard one).</summary>
    public static string? LayoutFor(string modelName, string? pretrain, string? weightsDir, string? catalogDir = null)
    {
        if (string.IsNullOrWhiteSpace(pretrain) || Resolve(modelName, pretrain, weightsDir, catalogDir) is not { } file)
        {
            return null;
        }

        Dictionary<string, Tensor> tensors = ReadStateDict(file);
        try
        {
            return Classification.ClassificationModels.LayoutOf(modelName, tensors.Keys);
        }
        finally
        {
            foreach (Tensor t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>The named sets available for <paramref name="modelName"/> in the given folders or built in, sorted.</summary>
    public static IReadOnlyList<string> AvailableSets(string modelName, params string?[] folders)
    {
        var files = folders.Where(d => !string.IsNullOrEmpty(d) && Directory.Exists(d))
            .SelectMany(d => Directory.EnumerateFiles(d!, "*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 })
                .Select(f => Path.GetRelativePath(d!, f).Replace('\\', '/')));
        return PretrainNaming.Available(modelName, files, builtIn: BuiltInWeights.Has(modelName, PretrainNaming.BuiltInSet));
    }

    /// <summary>The weights file for an absolute path (file, or folder with model.*) or a named set, or null.</summary>
    public static string? Resolve(string modelName, string pretrain, string? weightsDir, string? catalogDir = null)
    {
        if (pretrain.IndexOfAny(['/', '\\']) >= 0)
        {
            return Path.IsPathFullyQualified(pretrain) ? FileOf(pretrain) : null;
        }

        if (pretrain is "." or "..")
        {
            return null;
        }

        foreach (string? dir in new[] { weightsDir, catalogDir })
        {
            if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir))
            {
                continue;
            }

            foreach (string candidate in Candidates(dir, modelName, pretrain))
            {
                if (FileOf(candidate) is { } found)
                {
                    return found;
                }
            }
        }

        return BuiltInWeights.Materialize(modelName, pretrain, weightsDir);
    }

    /// <summary>Where a set may lie in a folder (<see cref="PretrainNaming"/>): files first, then checkpoint folders.</summary>
    private static IEnumerable<string> Candidates(string dir, string modelName, string set) =>
        PretrainNaming.Stems(modelName, set).Select(stem => Path.Combine(dir, stem))
            .SelectMany(stem => Extensions.Select(e => stem + e).Append(stem));

    /// <summary>A weights file itself, or the <c>model.*</c> file of a checkpoint folder.</summary>
    private static string? FileOf(string path)
    {
        if (File.Exists(path))
        {
            return path;
        }

        return Directory.Exists(path) ? Extensions.Select(e => Path.Combine(path, "model" + e)).FirstOrDefault(File.Exists) : null;
    }

    /// <summary>Copies every tensor of <paramref name="file"/> whose name and shape match a model tensor.</summary>
    public static PretrainResult LoadMatching(nn.Module model, string file)
    {
        Dictionary<string, Tensor> source = ReadStateDict(file);
        try
        {
            Dictionary<string, Tensor> target = model.state_dict();
            var skipped = new List<string>();
            int loaded = 0;
            using (torch.no_grad())
            {
                foreach (var (name, dst) in target)
                {
                    if (source.TryGetValue(name, out Tensor? src) && src.shape.SequenceEqual(dst.shape))
                    {
                        dst.copy_(src.to(dst.dtype, dst.device));
                        loaded++;
                    }
                    else
                    {
                        skipped.Add(source.TryGetValue(name, out Tensor? s)
                            ? $"{name} (shape [{string.Join(",", s.shape)}] vs [{string.Join(",", dst.shape)}])"
                            : $"{name} (missing)");
                    }
                }
            }

            string status = loaded == 0
                ? $"Pretrained weights {file}: no tensor matched the model: training from scratch"
                : $"Loaded pretrained weights {file}: {loaded}/{target.Count} tensors ({skipped.Count} skipped), {Found}";
            return new PretrainResult(loaded > 0, status, file, loaded, target.Count, skipped);
        }
        finally
        {
            foreach (Tensor t in source.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>Reads a state dict from a TorchSharp, PyTorch or safetensors file (names without a "module." prefix).</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string file)
    {
        string ext = Path.GetExtension(file).ToLowerInvariant();
        Dictionary<string, Tensor> raw = ext switch
        {
            ".pth" or ".pt" or ".bin" => FromHashtable(PyTorchUnpickler.UnpickleStateDict(file)),
            ".safetensors" => Safetensors.LoadStateDict(file),
            ".onnx" => ImportOnnx(file),
            _ => ReadTorchSharp(file),
        };
        return raw.ToDictionary(
            kv => kv.Key.StartsWith("module.", StringComparison.Ordinal) ? kv.Key["module.".Length..] : kv.Key,
            kv => kv.Value,
            StringComparer.Ordinal);
    }

    /// <summary>Writes a state dict in the TorchSharp <c>module.save</c> format (read back by <see cref="ReadStateDict"/>).</summary>
    public static void WriteStateDict(string file, IReadOnlyDictionary<string, Tensor> tensors)
    {
        using var stream = File.Create(file);
        using var writer = new BinaryWriter(stream);
        writer.Write7BitEncodedInt64(tensors.Count);
        foreach (var (name, t) in tensors)
        {
            writer.Write(name);
            t.Save(writer);
        }
    }

    /// <summary>An ONNX file in the packaged ResNet18 layout, converted for this engine's input convention.</summary>
    private static Dictionary<string, Tensor> ImportOnnx(string file)
    {
        if (!File.Exists(BuiltInWeights.PreprocessFile))
        {
            throw new FileNotFoundException("the packaged ResNet preprocessing model is missing", BuiltInWeights.PreprocessFile);
        }

        return ResNet18OnnxImport.ReadForNormalizedRgb(file, BuiltInWeights.PreprocessFile);
    }

    /// <summary>TorchSharp <c>module.save</c> format: LEB128 count, then (string name, tensor) pairs.</summary>
    private static Dictionary<string, Tensor> ReadTorchSharp(string file)
    {
        using var stream = File.OpenRead(file);
        using var reader = new BinaryReader(stream);
        long count = reader.Read7BitEncodedInt64();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (long i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            result[name] = TensorExtensionMethods.Load(reader);
        }

        return result;
    }

    private static Dictionary<string, Tensor> FromHashtable(Hashtable table)
    {
        // Accept {"state_dict": {...}} / {"model": {...}} wrappers as saved by common training scripts.
        foreach (string key in new[] { "state_dict", "model", "model_state_dict" })
        {
            if (table[key] is Hashtable inner)
            {
                return FromHashtable(inner);
            }
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is string name && entry.Value is Tensor t)
            {
                result[name] = t;
            }
        }

        return result;
    }
}
