using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using Google.Protobuf;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/model: saved pretrained models and registered exported models.</summary>
public static partial class ModelApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/model", "Model", m => m.Get(GetAsync).Delete(DeleteAsync));

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        var metadata = call.Services.Metadata;
        var artifacts = call.Services.Artifacts;
        switch (call.Args.String("type"))
        {
            case "pretrained":
                var pretrained = await metadata.PretrainedModels.ListAsync(call.Cancellation);
                return JsonReply.Ok(new JsonObject { ["pretrained_models"] = new JsonArray(pretrained.Select(m => (JsonNode?)View(m, artifacts)).ToArray()) });
            case "exported":
                var exported = await metadata.ExportedModels.ListAsync(call.Cancellation);
                return JsonReply.Ok(new JsonObject { ["exported_models"] = new JsonArray(exported.Select(m => (JsonNode?)View(m, artifacts)).ToArray()) });
            case null:
                throw ApiArgs.Missing("type");
            case var other:
                throw ApiException.Invalid($"type只能为pretrained或exported (unknown type '{other}')");
        }
    }

    private static async ValueTask<IResult> DeleteAsync(ApiCall call)
    {
        var metadata = call.Services.Metadata;
        switch (call.Args.RequireString("type"))
        {
            case "pretrained":
                var pmid = call.Args.RequireString("pmid");
                var pretrained = await metadata.PretrainedModels.GetAsync(pmid, call.Cancellation)
                    ?? throw ApiException.NotFound(ErrorCodes.ModelNotFound, $"预训练模型ID'{pmid}'不存在.");
                await metadata.PretrainedModels.DeleteAsync(pmid, call.Cancellation);
                await DeleteFilesAsync(call, pretrained.Path);
                return JsonReply.Ok();
            case "exported":
                var emid = call.Args.RequireString("emid");
                var exported = await metadata.ExportedModels.GetAsync(emid, call.Cancellation)
                    ?? throw ApiException.NotFound(ErrorCodes.ModelNotFound, $"已发布模型模型ID'{emid}'不存在.");
                await metadata.ExportedModels.DeleteAsync(emid, call.Cancellation);
                await DeleteFilesAsync(call, exported.Path);
                return JsonReply.Ok();
            case var other:
                throw ApiException.Invalid($"type只能为pretrained或exported (unknown type '{other}')");
        }
    }

    /// <summary>Removes a model's folder, but only inside the workspace (decisions.md §3).</summary>
    private static async ValueTask DeleteFilesAsync(ApiCall call, string path)
    {
        if (path.Length > 0 && call.Services.Artifacts.TryResolve(path, out var relative) && relative.Length > 0)
        {
            await call.Services.Artifacts.DeleteAsync(relative, call.Cancellation);
        }
    }

    /// <summary>A model's attributes; both model kinds share the original proto's field names.</summary>
    private static JsonObject View(IMessage model, IArtifactStore artifacts)
    {
        var view = new JsonObject();
        foreach (var field in model.Descriptor.Fields.InFieldNumberOrder().Where(f => f.FieldNumber < 100))
        {
            var value = field.Accessor.GetValue(model);
            view[field.Name] = value switch
            {
                string text when field.Name == "path" => artifacts.ToDisplayPath(text),
                string text => text,
                int number => number,
                _ => null,
            };
        }

        return view;
    }
}
