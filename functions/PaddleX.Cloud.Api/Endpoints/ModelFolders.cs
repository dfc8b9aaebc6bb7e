using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>Which folder a model may claim, and what deleting the model removes: a model owns a
/// folder of its own (never the workspace root, a store folder, the metadata files or another
/// entity's folder), and deleting it removes only the files recorded when it was created, and the
/// folder itself when the model created it and nothing else is left in it.</summary>
internal static class ModelFolders
{
    /// <summary>The files a model wrote or registered, relative to its folder.</summary>
    public const string ManifestFile = ".paddlex_model_files.json";

    /// <summary>What an export writes (model.onnx, model.json) and what the registry adds.</summary>
    private static readonly string[] ModelFiles = ["model.onnx", "model.json", "params.json", "dataset_attr.json", "eval_res.json", ManifestFile];

    /// <summary>Top-level names the service itself keeps: entity stores and the metadata files.</summary>
    private static readonly string[] StoreFolders = ["datasets", "projects", "pretrain"];

    /// <summary>The workspace-relative folder for a new exported model and whether the model
    /// creates it (it does not exist yet), or a refusal.</summary>
    public static async ValueTask<(string Path, bool CreatesFolder)> ClaimAsync(ApiCall call, string userPath)
    {
        var artifacts = call.Services.Artifacts;
        if (!artifacts.TryResolve(userPath, out var path) || path.Length == 0)
        {
            throw Refused(userPath, "不在工作空间内 (outside the workspace)");
        }

        var segments = path.Split('/');
        if (segments.Any(s => s.StartsWith('.')) || segments[0].StartsWith("workspace.", StringComparison.Ordinal) || StoreFolders.Contains(segments[0], StringComparer.Ordinal))
        {
            throw Refused(userPath, "是服务自身的目录或文件 (a folder or file the service keeps for itself)");
        }

        if (await artifacts.ExistsAsync(path, call.Cancellation))
        {
            throw Refused(userPath, "是文件而不是文件夹 (a file, not a folder)");
        }

        // An existing folder may hold only what an export writes (and the registry's own files):
        // anything else belongs to someone, and deleting the model would take it along.
        var foreign = (await artifacts.ListAsync(path, call.Cancellation)).Select(e => e.Path[(path.Length + 1)..]).FirstOrDefault(f => !ModelFiles.Contains(f, StringComparer.Ordinal));
        if (foreign is not null)
        {
            throw Refused(userPath, $"中已有其他文件{foreign} (already holds other files)");
        }

        foreach (var owned in await EntityFoldersAsync(call))
        {
            if (Overlaps(path, owned))
            {
                throw Refused(userPath, $"与已有的{owned}重叠 (overlaps the folder of another dataset, project, task or model)");
            }
        }

        return (path, !await artifacts.FolderExistsAsync(path, call.Cancellation));
    }

    /// <summary>Records the files now in <paramref name="folder"/> as the model's own, and whether
    /// the model created the folder.</summary>
    public static async ValueTask RecordAsync(IArtifactStore artifacts, string folder, bool createdFolder, CancellationToken cancellationToken)
    {
        var files = (await artifacts.ListAsync(folder, cancellationToken))
            .Select(e => e.Path[(folder.Length + 1)..])
            .Where(f => f != ManifestFile)
            .Select(f => (JsonNode?)f)
            .ToArray();
        var manifest = new JsonObject { ["files"] = new JsonArray(files), ["created_folder"] = createdFolder };
        await artifacts.WriteAsync($"{folder}/{ManifestFile}", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString())), cancellationToken);
    }

    /// <summary>Removes the recorded files; a folder the service created itself (<paramref name="ownsFolder"/>,
    /// or recorded as created by the model) goes too once nothing is left in it. A model recorded before
    /// manifests existed loses the files of its own folder, or else only <paramref name="legacyFiles"/>.</summary>
    public static async ValueTask DeleteAsync(IArtifactStore artifacts, string folder, IEnumerable<string> legacyFiles, bool ownsFolder, CancellationToken cancellationToken)
    {
        if (folder.Length == 0 || !artifacts.TryResolve(folder, out folder) || folder.Length == 0)
        {
            return;
        }

        var manifest = $"{folder}/{ManifestFile}";
        IEnumerable<string> files = ownsFolder
            ? (await artifacts.ListAsync(folder, cancellationToken)).Select(e => e.Path[(folder.Length + 1)..]).ToList()
            : legacyFiles;
        if (await artifacts.ExistsAsync(manifest, cancellationToken))
        {
            await using var stream = await artifacts.OpenReadAsync(manifest, cancellationToken);
            // An array is the manifest of an earlier version, which did not record who made the folder.
            var recorded = JsonNode.Parse(stream);
            files = (recorded as JsonArray ?? recorded?["files"] as JsonArray ?? []).Select(n => n?.GetValue<string>() ?? string.Empty).ToList();
            ownsFolder |= recorded?["created_folder"]?.GetValue<bool>() == true;
        }

        foreach (var file in files.Append(ManifestFile))
        {
            if (file.Length > 0 && artifacts.TryResolve($"{folder}/{file}", out var relative) && relative.StartsWith(folder + "/", StringComparison.Ordinal))
            {
                await artifacts.DeleteAsync(relative, cancellationToken);
            }
        }

        if (ownsFolder && (await artifacts.ListAsync(folder, cancellationToken)).Count == 0)
        {
            await artifacts.DeleteAsync(folder, cancellationToken);
        }
    }

    private static async ValueTask<List<string>> EntityFoldersAsync(ApiCall call)
    {
        var metadata = call.Services.Metadata;
        var folders = new List<string>(StoreFolders);
        folders.AddRange((await metadata.Datasets.ListAsync(call.Cancellation)).Select(d => d.Path));
        folders.AddRange((await metadata.Projects.ListAsync(call.Cancellation)).Select(p => p.Path));
        folders.AddRange((await metadata.Tasks.ListAsync(call.Cancellation)).Select(t => t.Path));
        folders.AddRange((await metadata.PretrainedModels.ListAsync(call.Cancellation)).Select(m => m.Path));
        folders.AddRange((await metadata.ExportedModels.ListAsync(call.Cancellation)).Select(m => m.Path));
        return folders.Select(f => call.Services.Artifacts.TryResolve(f, out var relative) ? relative : f).Where(f => f.Length > 0).ToList();
    }

    /// <summary>True when one folder is the other or holds it.</summary>
    private static bool Overlaps(string a, string b) =>
        a == b || a.StartsWith(b + "/", StringComparison.Ordinal) || b.StartsWith(a + "/", StringComparison.Ordinal);

    private static ApiException Refused(string userPath, string why) =>
        new(ErrorCodes.PathNotAllowed, $"模型路径{userPath}{why}; 模型须使用自己的新文件夹 (a model needs a folder of its own)");
}
