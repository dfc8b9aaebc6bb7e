using System.Text.Json.Nodes;

namespace PaddleX.Cloud.Infra.Tests.Infrastructure;

/// <summary>A resource found in a compiled ARM template, with the module (nested deployment) it sits in.</summary>
internal sealed record ArmResource(string Module, string Type, JsonObject Node, JsonObject Template)
{
    public JsonObject? Properties => Node["properties"] as JsonObject;

    public bool IsExisting => Node["existing"]?.GetValue<bool>() ?? false;
}

/// <summary>Walks a template compiled by `bicep build`, including the templates of nested module deployments.</summary>
internal static class ArmTemplate
{
    public static IReadOnlyList<ArmResource> Resources(JsonObject template)
    {
        var result = new List<ArmResource>();
        Walk(template, "main", result);
        return result;
    }

    private static void Walk(JsonObject template, string module, List<ArmResource> result)
    {
        IEnumerable<JsonNode?> resources = template["resources"] switch
        {
            JsonArray array => array,
            JsonObject symbolic => symbolic.Select(p => p.Value),
            _ => [],
        };

        foreach (var node in resources.OfType<JsonObject>())
        {
            var type = node["type"]?.GetValue<string>() ?? string.Empty;
            result.Add(new ArmResource(module, type, node, template));
            if (type == "Microsoft.Resources/deployments" &&
                node["properties"]?["template"] is JsonObject nested)
            {
                var name = node["name"]?.GetValue<string>() ?? "?";
                Walk(nested, name, result);
            }
        }
    }

    public static IEnumerable<ArmResource> OfType(this IEnumerable<ArmResource> resources, string type) =>
        resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase) && !r.IsExisting);

    /// <summary>The defaultValue of a parameter of the template that holds the resource.</summary>
    public static string? DefaultOf(this ArmResource resource, string parameter) =>
        resource.Template["parameters"]?[parameter]?["defaultValue"]?.ToJsonString().Trim('"');
}
