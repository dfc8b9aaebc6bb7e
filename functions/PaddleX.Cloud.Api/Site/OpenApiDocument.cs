using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Http;

namespace PaddleX.Cloud.Api.Site;

/// <summary>The OpenAPI 3.1 document of the route table: every path, method, summary and argument
/// comes from <see cref="RouteTable"/>, so the document cannot drift from what the hosts serve.
/// GET arguments are query parameters; POST, PUT and DELETE take a JSON object body (the server
/// also accepts either form for every method); an argument of type <c>file</c> makes the body
/// multipart.</summary>
public static class OpenApiDocument
{
    public static JsonObject Build(IEnumerable<ApiRoute> routes)
    {
        var paths = new JsonObject();
        foreach (var route in routes.OrderBy(r => r.Path, StringComparer.Ordinal))
        {
            var item = new JsonObject();
            foreach (var method in route.AllowedMethods)
            {
                var operation = route.Operations.GetValueOrDefault(method) ?? new ApiOperation(string.Empty, []);
                item[method.ToLowerInvariant()] = Operation(route, method, operation);
            }

            paths[route.Path] = item;
        }

        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject
            {
                ["title"] = "PaddleX.Cloud",
                ["version"] = "1.0.0",
                ["description"] = "The PaddleX RESTful training service. Success is HTTP 200 with status 1; an application failure is HTTP 200 with status -1, message and code; protocol failures use 4xx with the same shape. Long operations are jobs: start them, then poll their status.",
            },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = new JsonObject
                {
                    ["Reply"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["properties"] = new JsonObject
                        {
                            ["status"] = new JsonObject { ["type"] = "integer", ["enum"] = new JsonArray(1, -1) },
                            ["message"] = new JsonObject { ["type"] = "string" },
                            ["code"] = new JsonObject { ["type"] = "string" },
                        },
                        ["required"] = new JsonArray("status"),
                        ["additionalProperties"] = true,
                    },
                },
                ["securitySchemes"] = new JsonObject
                {
                    ["apiKey"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = "X-Api-Key", ["description"] = "Required when the server runs with an API key; also accepted as the api_key argument." },
                },
            },
            ["security"] = new JsonArray(new JsonObject(), new JsonObject { ["apiKey"] = new JsonArray() }),
        };
    }

    private static JsonObject Operation(ApiRoute route, string method, ApiOperation operation)
    {
        var result = new JsonObject
        {
            ["operationId"] = method.ToLowerInvariant() + route.Name,
            ["summary"] = operation.Summary,
            ["tags"] = new JsonArray(Tag(route.Path)),
        };
        if (method is "GET")
        {
            result["parameters"] = new JsonArray(operation.Arguments.Select(a => (JsonNode?)new JsonObject
            {
                ["name"] = a.Name,
                ["in"] = "query",
                ["required"] = a.Required,
                ["schema"] = Schema(a),
            }).ToArray());
        }
        else if (operation.Arguments.Count > 0)
        {
            var multipart = operation.Arguments.Any(a => a.Type == "file");
            var body = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject(operation.Arguments.Select(a => KeyValuePair.Create(a.Name, (JsonNode?)Schema(a)))),
                ["required"] = new JsonArray(operation.Arguments.Where(a => a.Required).Select(a => (JsonNode?)a.Name).ToArray()),
            };
            result["requestBody"] = new JsonObject
            {
                ["required"] = operation.Arguments.Any(a => a.Required),
                ["content"] = new JsonObject { [multipart ? "multipart/form-data" : "application/json"] = new JsonObject { ["schema"] = body } },
            };
        }

        result["responses"] = new JsonObject
        {
            ["200"] = Response("status 1 with the fields of the answer, or status -1 with message and code"),
            ["default"] = Response("a protocol failure (400, 401, 404, 405, 413) with status -1, message and code"),
        };
        return result;
    }

    private static JsonObject Response(string description) => new()
    {
        ["description"] = description,
        ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/Reply" } } },
    };

    private static JsonObject Schema(ApiArgument argument)
    {
        var schema = argument.Type switch
        {
            "file" => new JsonObject { ["type"] = "string", ["contentMediaType"] = "application/zip" },
            "array" => new JsonObject { ["type"] = "array" },
            "object" => new JsonObject { ["type"] = "object" },
            var type => new JsonObject { ["type"] = type },
        };
        if (argument.Values.Count > 0)
        {
            schema["enum"] = new JsonArray(argument.Values.Select(v => (JsonNode?)v).ToArray());
        }

        return schema;
    }

    private static string Tag(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries) switch
    {
        ["project", "task", ..] => "task",
        [var first, ..] => first,
        _ => "root",
    };
}
