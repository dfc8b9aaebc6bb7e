using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using Google.Protobuf;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/model: saved pretrained models and registered exported models.</summary>
public static partial class ModelApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/model", "Model", m => m
            .Get(GetAsync, "Describe a model (mid), or list pretrained or exported models", "mid?:string", "type?:string=pretrained|exported")
            .Post(CreateAsync, "Register a task's weights as a pretrained model, or an export as an exported model", "type:string=pretrained|exported", "pid:string", "tid:string", "name:string", "path?:string", "source_path?:string", "exported_type?:integer", "eval_results?:object")
            .Delete(DeleteAsync, "Delete a model", "type:string=pretrained|exported", "pmid?:string", "emid?:string"));

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        var metadata = call.Services.Metadata;
        var artifacts = call.Services.Artifacts;
        if (call.Args.String("mid") is { } mid)
        {
            return await DetailsAsync(call, mid);
        }

        switch (call.Args.String("type"))
        {
            case "pretrained":
                var pretrained = await metadata.PretrainedModels.ListAsync(call.Cancellation);
                return JsonReply.Ok(new JsonObject { ["pretrained_models"] = new JsonArray(pretrained.Select(m => (JsonNode?)View(m, artifacts)).ToArray()) });
            case "exported":
                var exported = new List<ExportedModel>();
                foreach (var m in await metadata.ExportedModels.ListAsync(call.Cancellation))
                {
                    // §8: a model whose task still exists is listed only once that task's export succeeded.
                    var source = m.Tid.Length > 0 ? await metadata.Tasks.GetAsync(m.Tid, call.Cancellation) : null;
                    if (source is null || (source.Jobs.TryGetValue(Contracts.Jobs.JobKinds.Export, out var job) && job.Status == (int)Contracts.TaskStatus.XEXPORTED))
                    {
                        exported.Add(m);
                    }
                }

                return JsonReply.Ok(new JsonObject { ["exported_models"] = new JsonArray(exported.Select(m => (JsonNode?)View(m, artifacts)).ToArray()) });
            case null:
                throw ApiArgs.Missing("type");
            case var other:
                throw ApiException.Invalid($"type只能为pretrained或exported (unknown type '{other}')");
        }
    }

    public const string ParamsFile = "params.json";
    public const string DatasetFile = "dataset_attr.json";
    public const string EvalFile = "eval_res.json";

    /// <summary>POST: saves a task's best model as a pretrained model (PMxxxx) or registers an exported
    /// folder (EMxxxx). Plain JSON files instead of pickles: params.json, dataset_attr.json, eval_res.json.</summary>
    private static async ValueTask<IResult> CreateAsync(ApiCall call)
    {
        var type = call.Args.RequireString("type");
        if (type is not ("pretrained" or "exported"))
        {
            throw ApiException.Invalid($"type只能为pretrained或exported (unknown type '{type}')");
        }

        var pid = call.Args.RequireString("pid");
        var tid = call.Args.RequireString("tid");
        var name = call.Args.RequireString("name");
        var label = type == "pretrained" ? "预训练模型创建" : "已发布模型创建";
        var project = await call.ProjectAsync(pid, $"【{label}】项目ID'{pid}'不存在.");
        var task = await call.TaskAsync(tid, $"【{label}】任务ID'{tid}'不存在.");
        var artifacts = call.Services.Artifacts;
        var modelName = Params.TrainingParams.Parse(task.ParamsJson)?["model"]?.GetValue<string>() ?? string.Empty;
        var now = call.Now();
        if (type == "pretrained")
        {
            string source;
            if (call.Args.String("source_path") is { } userSource)
            {
                if (!artifacts.TryResolve(userSource, out source) || !(await artifacts.ListAsync(source, call.Cancellation)).Any())
                {
                    throw new ApiException(ErrorCodes.FileNotFound, $"原模型路径不存在: {userSource}");
                }
            }
            else
            {
                source = $"{task.Path}/output/best_model";
                if (!await artifacts.ExistsAsync($"{source}/.success", call.Cancellation))
                {
                    throw new ApiException(ErrorCodes.FileNotFound, $"原模型路径不存在: {artifacts.ToDisplayPath(source)}");
                }
            }

            var model = await call.Services.Metadata.PretrainedModels.CreateAsync(
                id => new PretrainedModel { Id = id, Name = name, Model = modelName, Type = project.Type, Pid = pid, Tid = tid, CreateTime = now, Path = $"pretrain/{id}", State = new JobState { Status = (int)PretrainedModelStatus.XPSAVEDONE, Message = "\n" } },
                call.Cancellation);
            foreach (var entry in await artifacts.ListAsync(source, call.Cancellation))
            {
                var file = entry.Path[(source.Length + 1)..];
                if (file.Contains('/', StringComparison.Ordinal) || file == "optimizer.dat")
                {
                    continue;
                }

                await CopyAsync(artifacts, entry.Path, $"{model.Path}/{file}", call.Cancellation);
            }

            await WriteSidecarsAsync(call, project, task, model.Path, call.Args.Object("eval_results"));
            await ModelFolders.RecordAsync(artifacts, model.Path, createdFolder: false, call.Cancellation);
            return JsonReply.Ok(new JsonObject { ["pmid"] = model.Id });
        }

        var (path, createsFolder) = await ModelFolders.ClaimAsync(call, call.Args.RequireString("path"));
        var exportedType = call.Args.Int("exported_type") ?? 0;
        await WriteSidecarsAsync(call, project, task, path, null);
        await ModelFolders.RecordAsync(artifacts, path, createsFolder, call.Cancellation);
        var exported = await call.Services.Metadata.ExportedModels.CreateAsync(
            id => new ExportedModel { Id = id, Name = name, Model = modelName, Type = project.Type, Pid = pid, Tid = tid, CreateTime = now, Path = path, ExportedType = exportedType },
            call.Cancellation);
        return JsonReply.Ok(new JsonObject { ["emid"] = exported.Id });
    }

    private static async ValueTask CopyAsync(IArtifactStore artifacts, string from, string to, CancellationToken cancellationToken)
    {
        await using var input = await artifacts.OpenReadAsync(from, cancellationToken);
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer, cancellationToken);
        buffer.Position = 0;
        await artifacts.WriteAsync(to, buffer, cancellationToken);
    }

    private static ValueTask WriteJsonAsync(IArtifactStore artifacts, string path, JsonNode node, CancellationToken cancellationToken) =>
        artifacts.WriteAsync(path, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString())), cancellationToken);

    /// <summary>The task's parameters, its dataset's attributes and its evaluation result beside the model.</summary>
    private static async ValueTask WriteSidecarsAsync(ApiCall call, Project project, TaskInfo task, string folder, JsonObject? evalResults)
    {
        var artifacts = call.Services.Artifacts;
        var dataset = await call.Services.Metadata.Datasets.GetAsync(project.Did, call.Cancellation);
        var attr = new JsonObject
        {
            ["name"] = dataset?.Name,
            ["desc"] = dataset?.Desc,
            ["labels"] = new JsonArray((await ReadLinesAsync(call, dataset is null ? null : $"{dataset.Path}/labels.txt")).Select(l => (JsonNode?)l).ToArray()),
            ["train_num"] = (await ReadLinesAsync(call, dataset is null ? null : $"{dataset.Path}/train_list.txt")).Count,
            ["val_num"] = (await ReadLinesAsync(call, dataset is null ? null : $"{dataset.Path}/val_list.txt")).Count,
            ["test_num"] = (await ReadLinesAsync(call, dataset is null ? null : $"{dataset.Path}/test_list.txt")).Count,
        };
        await WriteJsonAsync(artifacts, $"{folder}/{DatasetFile}", attr, call.Cancellation);
        await WriteJsonAsync(artifacts, $"{folder}/{ParamsFile}", JsonNode.Parse(string.IsNullOrEmpty(task.ParamsJson) ? "{}" : task.ParamsJson)!, call.Cancellation);
        if (evalResults is not null)
        {
            await WriteJsonAsync(artifacts, $"{folder}/{EvalFile}", evalResults, call.Cancellation);
        }
        else if (await artifacts.ExistsAsync($"{task.Path}/{EvalFile}", call.Cancellation))
        {
            await CopyAsync(artifacts, $"{task.Path}/{EvalFile}", $"{folder}/{EvalFile}", call.Cancellation);
        }
    }

    private static async ValueTask<List<string>> ReadLinesAsync(ApiCall call, string? path)
    {
        if (path is null || !await call.Services.Artifacts.ExistsAsync(path, call.Cancellation))
        {
            return [];
        }

        await using var stream = await call.Services.Artifacts.OpenReadAsync(path, call.Cancellation);
        using var reader = new StreamReader(stream);
        var text = await reader.ReadToEndAsync(call.Cancellation);
        return text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
    }

    /// <summary>GET mid: dataset attributes, and the task parameters and evaluation result as JSON strings.</summary>
    private static async ValueTask<IResult> DetailsAsync(ApiCall call, string mid)
    {
        var metadata = call.Services.Metadata;
        string? path = mid.StartsWith("PM", StringComparison.Ordinal)
            ? (await metadata.PretrainedModels.GetAsync(mid, call.Cancellation))?.Path
            : (await metadata.ExportedModels.GetAsync(mid, call.Cancellation))?.Path;
        if (path is null)
        {
            throw ApiException.NotFound(ErrorCodes.ModelNotFound, $"模型ID'{mid}'不存在.");
        }

        async ValueTask<JsonNode?> Read(string file)
        {
            if (!await call.Services.Artifacts.ExistsAsync($"{path}/{file}", call.Cancellation))
            {
                return null;
            }

            await using var stream = await call.Services.Artifacts.OpenReadAsync($"{path}/{file}", call.Cancellation);
            return await JsonNode.ParseAsync(stream, cancellationToken: call.Cancellation);
        }

        var attr = await Read(DatasetFile) ?? new JsonObject();
        var parameters = await Read(ParamsFile);
        var eval = await Read(EvalFile);
        return JsonReply.Ok(new JsonObject
        {
            ["dataset_attr"] = attr,
            ["task_params"] = parameters?.ToJsonString(),
            ["eval_result"] = eval?.ToJsonString(),
            // What the exported model is (pruned or not, FLOPs, parameters, input size): its model.json.
            ["model_info"] = await Read("model.json"),
        });
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
                await DeleteFilesAsync(call, pretrained.Path, pretrained.Path == $"pretrain/{pmid}");
                return JsonReply.Ok();
            case "exported":
                var emid = call.Args.RequireString("emid");
                var exported = await metadata.ExportedModels.GetAsync(emid, call.Cancellation)
                    ?? throw ApiException.NotFound(ErrorCodes.ModelNotFound, $"已发布模型模型ID'{emid}'不存在.");
                await metadata.ExportedModels.DeleteAsync(emid, call.Cancellation);
                await DeleteFilesAsync(call, exported.Path, ownsFolder: false);
                return JsonReply.Ok();
            case var other:
                throw ApiException.Invalid($"type只能为pretrained或exported (unknown type '{other}')");
        }
    }

    /// <summary>Removes what the model wrote, only inside the workspace (docs/api-behaviour.md §7).</summary>
    private static ValueTask DeleteFilesAsync(ApiCall call, string path, bool ownsFolder) =>
        ModelFolders.DeleteAsync(call.Services.Artifacts, path, [ParamsFile, DatasetFile, EvalFile], ownsFolder, call.Cancellation);

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
