using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/dataset: create, list, describe and delete datasets.</summary>
public static partial class DatasetApi
{
    public const int MaxNameLength = 256;

    public static void Map(RouteTableBuilder routes)
    {
        routes.Route("/dataset", "Dataset", m => m
            .Get(GetAsync, "List datasets, or describe one", "did?:string")
            .Post(CreateAsync, "Create an empty dataset", "name:string", "desc?:string", "dataset_type:string=classification|detection|segmentation|instance_segmentation|remote_segmentation")
            .Put(ImportAsync, "Import a folder or .zip from the workspace or an import root (a job)", "did:string", "path:string")
            .Delete(DeleteAsync, "Delete a dataset no project uses", "did:string"));
        MapImportRoutes(routes);
    }

    private static async ValueTask<IResult> CreateAsync(ApiCall call)
    {
        var name = call.Args.RequireString("name", MaxNameLength);
        var desc = call.Args.String("desc") ?? string.Empty;
        var type = call.Args.RequireString("dataset_type");
        if (!ProjectTypes.IsValid(type))
        {
            throw ApiException.Invalid($"无法识别的数据类型{type} (dataset_type must be one of {string.Join(", ", ProjectTypes.All)})");
        }

        var now = call.Now();
        var dataset = await call.Services.Metadata.Datasets.CreateAsync(id => NewDataset(id, name, desc, type, now), call.Cancellation);
        return JsonReply.Ok(new JsonObject { ["did"] = dataset.Id, ["id"] = dataset.Id });
    }

    internal static Dataset NewDataset(string id, string name, string desc, string type, string now) => new()
    {
        Id = id,
        Name = name,
        Desc = desc,
        Type = type,
        Path = $"datasets/{id}",
        CreateTime = now,
        State = new JobState { Status = (int)DatasetStatus.XEMPTY },
    };

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        var artifacts = call.Services.Artifacts;
        var did = call.Args.String("did");
        if (did is null)
        {
            return await ListViews.Datasets(artifacts).ReplyAsync(call.Services.Metadata.Datasets, call.Cancellation);
        }

        var dataset = await call.DatasetAsync(did);
        var projects = await call.Services.Metadata.ProjectsOfDatasetAsync(did, call.Cancellation);
        var single = Views.DatasetAttr(dataset, artifacts);
        single["pids"] = new JsonArray(projects.Select(p => (JsonNode?)p.Id).ToArray());
        return JsonReply.Ok(new JsonObject
        {
            ["id"] = dataset.Id,
            ["dataset_status"] = Views.DatasetStatusOf(dataset),
            ["message"] = Views.Message(dataset.State),
            ["attr"] = single,
        });
    }

    private static async ValueTask<IResult> DeleteAsync(ApiCall call)
    {
        var did = call.Args.RequireString("did");
        var dataset = await call.DatasetAsync(did);
        var users = (await call.Services.Metadata.ProjectsOfDatasetAsync(did, call.Cancellation)).Count;
        if (users > 0)
        {
            throw new ApiException(ErrorCodes.DatasetInUse, $"无法删除数据集,当前仍被{users}个项目中使用中,请先删除相关项目");
        }

        // Removing the entity first is what stops a running import: the worker treats a vanished
        // target as a cancellation and leaves nothing behind.
        await call.Services.Metadata.Datasets.DeleteAsync(did, call.Cancellation);
        await call.Services.Artifacts.DeleteAsync(dataset.Path, call.Cancellation);
        return JsonReply.Ok();
    }
}
