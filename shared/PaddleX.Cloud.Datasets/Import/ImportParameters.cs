using System.Text.Json;
using System.Text.Json.Serialization;

namespace PaddleX.Cloud.Datasets.Import;

/// <summary>The <c>parameters_json</c> of an import job message.</summary>
public sealed record ImportParameters
{
    /// <summary>Workspace-relative path (Scope workspace) or absolute local path (Scope import_root).</summary>
    [JsonPropertyName("source")]
    public string Source { get; init; } = string.Empty;

    [JsonPropertyName("scope")]
    public string Scope { get; init; } = Workspace;

    /// <summary>The path as the user gave it, for messages.</summary>
    [JsonPropertyName("display")]
    public string Display { get; init; } = string.Empty;

    public const string Workspace = "workspace";

    public const string ImportRoot = "import_root";

    public string ToJson() => JsonSerializer.Serialize(this);

    public static ImportParameters FromJson(string json) => JsonSerializer.Deserialize<ImportParameters>(json) ?? new ImportParameters();
}
