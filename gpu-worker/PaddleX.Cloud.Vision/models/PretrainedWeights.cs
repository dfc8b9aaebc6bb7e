using System.Collections;
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
/// via TorchSharp.PyBridge) and <c>.safetensors</c>. A name such as <c>IMAGENET</c> is looked up in the weights
/// folder as <c>{Model}_{NAME}.{dat|pth|pt|safetensors}</c> or <c>{Model}/{NAME}.*</c>; when nothing is found
/// the model trains from scratch and the returned status says so.
/// </summary>
public static class PretrainedWeights
{
    private static readonly string[] Extensions = [".dat", ".pth", ".pt", ".bin", ".safetensors"];

    public static PretrainResult Apply(nn.Module model, string modelName, string? pretrain, string? weightsDir)
    {
        int total = model.state_dict().Count;
        if (string.IsNullOrWhiteSpace(pretrain) || pretrain.Equals("none", StringComparison.OrdinalIgnoreCase)
            || pretrain.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            return new PretrainResult(false, "pretrain_weights not set: training from scratch", null, 0, total, []);
        }

        string? file = Resolve(modelName, pretrain, weightsDir);
        if (file is null)
        {
            string where = string.IsNullOrEmpty(weightsDir) ? "no weights folder configured" : $"not found in {weightsDir}";
            return new PretrainResult(false, $"Pretrained weights '{pretrain}' for {modelName} unavailable ({where}), download failed: training from scratch", null, 0, total, []);
        }

        return LoadMatching(model, file);
    }

    /// <summary>The weights file for a path (file, or folder with model.*) or a named set, or null.</summary>
    public static string? Resolve(string modelName, string pretrain, string? weightsDir)
    {
        if (File.Exists(pretrain))
        {
            return pretrain;
        }

        if (Directory.Exists(pretrain))
        {
            return Extensions.Select(e => Path.Combine(pretrain, "model" + e)).FirstOrDefault(File.Exists);
        }

        if (string.IsNullOrEmpty(weightsDir) || !Directory.Exists(weightsDir) || pretrain.IndexOfAny(['/', '\\']) >= 0)
        {
            return null;
        }

        foreach (string ext in Extensions)
        {
            foreach (string candidate in new[]
                     {
                         Path.Combine(weightsDir, $"{modelName}_{pretrain}{ext}"),
                         Path.Combine(weightsDir, modelName, pretrain + ext),
                     })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
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
                : $"Loaded pretrained weights {file}: {loaded}/{target.Count} tensors ({skipped.Count} skipped)";
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
            _ => ReadTorchSharp(file),
        };
        return raw.ToDictionary(
            kv => kv.Key.StartsWith("module.", StringComparison.Ordinal) ? kv.Key["module.".Length..] : kv.Key,
            kv => kv.Value,
            StringComparer.Ordinal);
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
