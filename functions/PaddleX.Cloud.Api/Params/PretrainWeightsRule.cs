using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PaddleX.Cloud.Api.Http;

namespace PaddleX.Cloud.Api.Params;

/// <summary>What <c>pretrain_weights</c> may name: nothing (from scratch), a set of the weights
/// catalog (IMAGENET, COCO: a plain word), a pretrained model or task id, or a weights file or
/// folder inside the workspace. Anything else, such as a file name that would be looked up in the
/// server's working directory, is refused before it reaches the worker.</summary>
public static partial class PretrainWeightsRule
{
    public const string Key = "pretrain_weights";

    private static readonly string[] WeightFiles = [".dat", ".pth", ".pt", ".bin", ".safetensors"];

    /// <summary>Throws a status -1 refusal for an unacceptable value in <paramref name="parameters"/>.</summary>
    public static void Check(ApiCall call, JsonObject parameters)
    {
        if (parameters[Key] is not JsonValue value || !value.TryGetValue<string>(out var weights) || string.IsNullOrWhiteSpace(weights))
        {
            return; // null, absent or empty: from scratch (the type itself is checked by the merge)
        }

        if (CatalogName().IsMatch(weights) || ModelId().IsMatch(weights))
        {
            return;
        }

        var looksLikePath = weights.Contains('/', StringComparison.Ordinal) || weights.Contains('\\', StringComparison.Ordinal)
            || WeightFiles.Any(e => weights.EndsWith(e, StringComparison.OrdinalIgnoreCase));
        if (!looksLikePath || !call.Services.Artifacts.TryResolve(weights, out var relative) || relative.Length == 0)
        {
            throw new ApiException(
                ErrorCodes.InvalidArgument,
                $"pretrain_weights'{weights}'不是预训练权重名称(如IMAGENET)、模型ID(PMxxxx/Txxxx)或工作空间内的权重文件 (pretrain_weights must be a catalog name such as IMAGENET, a model or task id, or a weights file or folder inside the workspace)");
        }
    }

    /// <summary>As <see cref="Check(ApiCall, JsonObject)"/> for a task's stored parameters.</summary>
    public static void Check(ApiCall call, string paramsJson)
    {
        if (TrainingParams.Parse(paramsJson) is { } parameters)
        {
            Check(call, parameters);
        }
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex CatalogName();

    [GeneratedRegex(@"^(PM|T)\d{4,}$")]
    private static partial Regex ModelId();
}
