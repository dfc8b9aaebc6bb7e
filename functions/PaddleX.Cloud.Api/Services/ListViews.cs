using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api.Services;

/// <summary>The answers of <c>GET /dataset</c> and <c>GET /project</c>: serialized list items kept per
/// entity version by the store (see <see cref="EntityView{T, TView}"/>) and the encoded answer kept
/// per list version (<see cref="ListBodyCache"/>). An item shows a display path, so there is one of
/// each per artifact store.</summary>
public static class ListViews
{
    private static readonly ConditionalWeakTable<IArtifactStore, CachedList<Dataset>> DatasetLists = [];
    private static readonly ConditionalWeakTable<IArtifactStore, CachedList<Project>> ProjectLists = [];

    public static CachedList<Dataset> Datasets(IArtifactStore artifacts) =>
        DatasetLists.GetValue(artifacts, a => new CachedList<Dataset>("datasets", d =>
        {
            var attr = Views.DatasetAttr(d, a);
            attr["dataset_status"] = Views.DatasetStatusOf(d);
            attr["message"] = Views.Message(d.State);
            return Item(d.Id, new JsonObject { ["id"] = d.Id, ["attr"] = attr });
        }));

    public static CachedList<Project> Projects(IArtifactStore artifacts) =>
        ProjectLists.GetValue(artifacts, a => new CachedList<Project>("projects", p =>
            Item(p.Id, new JsonObject { ["id"] = p.Id, ["attr"] = Views.ProjectAttr(p, a) })));

    private static ListItem Item(string id, JsonObject item) => new(id, System.Text.Encoding.UTF8.GetBytes(item.ToJsonString(JsonReply.Options)));

    /// <summary>One list answer's caches.</summary>
    public sealed class CachedList<T>(string name, Func<T, ListItem> project)
        where T : class, Google.Protobuf.IMessage<T>
    {
        private readonly EntityView<T, ListItem> view = new(project);
        private readonly ListBodyCache bodies = new(name);

        public async ValueTask<IResult> ReplyAsync(IEntitySet<T> entities, CancellationToken cancellationToken) =>
            new JsonListReply(bodies, await entities.ListViewsAsync(view, cancellationToken));
    }
}
