using System.Text.Json;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api.Services;

/// <summary>The JSON shapes of entities in answers (docs/api-behaviour.md §3).</summary>
public static class Views
{
    public static JsonObject DatasetAttr(Dataset d, IArtifactStore artifacts) => new()
    {
        ["type"] = d.Type,
        ["id"] = d.Id,
        ["name"] = d.Name,
        ["path"] = artifacts.ToDisplayPath(d.Path),
        ["desc"] = d.Desc,
        ["create_time"] = d.CreateTime,
    };

    public static JsonObject ProjectAttr(Project p, IArtifactStore artifacts) => new()
    {
        ["id"] = p.Id,
        ["name"] = p.Name,
        ["desc"] = p.Desc,
        ["type"] = p.Type,
        ["did"] = p.Did,
        ["path"] = artifacts.ToDisplayPath(p.Path),
        ["create_time"] = p.CreateTime,
    };

    public static JsonObject TaskItem(Contracts.TaskInfo t, string projectType, IArtifactStore artifacts) => new()
    {
        ["id"] = t.Id,
        ["name"] = t.Name,
        ["desc"] = t.Desc,
        ["pid"] = t.Pid,
        ["path"] = artifacts.ToDisplayPath(t.Path),
        ["create_time"] = t.CreateTime,
        ["status"] = t.State?.Status ?? (int)Contracts.TaskStatus.XINIT,
        ["type"] = projectType,
    };

    public static int DatasetStatusOf(Dataset d) => d.State?.Status ?? (int)DatasetStatus.XEMPTY;

    /// <summary>The status message; progress messages stored as JSON objects come back as objects.</summary>
    public static JsonNode? Message(JobState? state)
    {
        var text = state?.Message ?? string.Empty;
        if (text.StartsWith('{'))
        {
            try
            {
                return JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                return text;
            }
        }

        return text;
    }
}
