using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/workspace: the workspace folder, and attributes of datasets, projects and tasks.</summary>
public static class WorkspaceApi
{
    // The original proto fields a client may read; ours (state, jobs, params) are not attributes.
    private static readonly Dictionary<string, string[]> Readable = new(StringComparer.Ordinal)
    {
        ["dataset"] = ["id", "name", "desc", "type", "path", "create_time"],
        ["project"] = ["id", "name", "desc", "type", "did", "path", "create_time"],
        ["task"] = ["id", "name", "desc", "pid", "path", "create_time", "parent_id"],
    };

    // docs/api-behaviour.md §3: only descriptive fields and the project's dataset binding may change.
    private static readonly Dictionary<string, string[]> Writable = new(StringComparer.Ordinal)
    {
        ["dataset"] = ["name", "desc"],
        ["project"] = ["name", "desc", "did"],
        ["task"] = ["name", "desc"],
    };

    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/workspace", "Workspace", m => m
            .Get(GetAsync, "The workspace folder, or attributes of a dataset, project or task", "struct?:string=dataset|project|task", "id?:string", "attr_list?:array")
            .Put(PutAsync, "Change attributes of a dataset, project or task (bind a project to a dataset with attr_dict.did)", "struct:string=dataset|project|task", "id:string", "attr_dict:object"));

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        if (!call.Args.Has("struct"))
        {
            return JsonReply.Ok(new JsonObject { ["dirname"] = call.Services.Artifacts.ToDisplayPath(string.Empty) });
        }

        var (kind, entity) = await FindAsync(call, withPeriod: false);
        var attr = new JsonObject();
        foreach (var name in call.Args.StringList("attr_list") ?? [])
        {
            if (name is "id" or "struct")
            {
                continue;
            }

            if (!Readable[kind].Contains(name, StringComparer.Ordinal))
            {
                throw ApiException.Invalid($"{entity.Descriptor.Name} 不存在成员变量'{name}'");
            }

            var value = (string)entity.Descriptor.FindFieldByName(name).Accessor.GetValue(entity);
            attr[name] = name == "path" ? call.Services.Artifacts.ToDisplayPath(value) : value;
        }

        return JsonReply.Ok(new JsonObject { ["attr"] = attr });
    }

    private static async ValueTask<IResult> PutAsync(ApiCall call)
    {
        var (kind, _) = await FindAsync(call, withPeriod: false);
        var id = call.Args.RequireString("id");
        var changes = call.Args.RequireObject("attr_dict");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in changes)
        {
            if (!Readable[kind].Contains(name, StringComparer.Ordinal))
            {
                throw ApiException.Invalid($"{kind} 不存在成员变量'{name}'");
            }

            if (!Writable[kind].Contains(name, StringComparer.Ordinal))
            {
                throw ApiException.Invalid($"属性'{name}'不允许修改 (attribute '{name}' cannot be changed)");
            }

            if (node is not JsonValue value || !value.TryGetValue<string>(out var text))
            {
                throw ApiException.Invalid($"属性'{name}'的值应为字符串 (the value of '{name}' must be a string)");
            }

            if (text.Length > ApiArgs.MaxTextLength)
            {
                throw ApiException.Invalid($"属性'{name}'过长 (the value of '{name}' is too long)");
            }

            values[name] = text;
        }

        if (values.TryGetValue("did", out var did) && did.Length > 0)
        {
            await call.DatasetAsync(did, $"数据集ID'{did}'不存在");
        }

        var metadata = call.Services.Metadata;
        _ = kind switch
        {
            "dataset" => await metadata.Datasets.UpdateAsync(id, d => Apply(d, values), call.Cancellation) as IMessage,
            "project" => await metadata.Projects.UpdateAsync(id, p => Apply(p, values), call.Cancellation),
            _ => await metadata.Tasks.UpdateAsync(id, t => Apply(t, values), call.Cancellation),
        } ?? throw ApiException.NotFound(ErrorCodes.InvalidArgument, $"ID'{id}'不存在");
        return JsonReply.Ok();
    }

    private static void Apply(IMessage entity, Dictionary<string, string> values)
    {
        foreach (var (name, value) in values)
        {
            entity.Descriptor.FindFieldByName(name).Accessor.SetValue(entity, value);
        }
    }

    private static async ValueTask<(string Kind, IMessage Entity)> FindAsync(ApiCall call, bool withPeriod)
    {
        var kind = call.Args.RequireString("struct");
        if (!Readable.ContainsKey(kind))
        {
            throw ApiException.Invalid("struct只能为dataset, project或task");
        }

        var id = call.Args.RequireString("id");
        var period = withPeriod ? "." : string.Empty;
        IMessage entity = kind switch
        {
            "dataset" => await call.DatasetAsync(id, $"数据集ID'{id}'不存在{period}"),
            "project" => await call.ProjectAsync(id, $"项目ID'{id}'不存在{period}"),
            _ => await call.TaskAsync(id, $"任务ID'{id}'不存在{period}"),
        };
        return (kind, entity);
    }
}
