using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api.Services;

/// <summary>The serialized list items of <c>GET /dataset</c> and <c>GET /project</c>, kept per entity
/// version by the store (see <see cref="EntityView{T, TView}"/>). An item shows a display path, so
/// there is one view per artifact store.</summary>
public static class ListViews
{
    private static readonly ConditionalWeakTable<IArtifactStore, EntityView<Dataset, byte[]>> DatasetViews = [];
    private static readonly ConditionalWeakTable<IArtifactStore, EntityView<Project, byte[]>> ProjectViews = [];

    public static EntityView<Dataset, byte[]> Datasets(IArtifactStore artifacts) =>
        DatasetViews.GetValue(artifacts, a => new EntityView<Dataset, byte[]>(d =>
        {
            var attr = Views.DatasetAttr(d, a);
            attr["dataset_status"] = Views.DatasetStatusOf(d);
            attr["message"] = Views.Message(d.State);
            return Serialize(new JsonObject { ["id"] = d.Id, ["attr"] = attr });
        }));

    public static EntityView<Project, byte[]> Projects(IArtifactStore artifacts) =>
        ProjectViews.GetValue(artifacts, a => new EntityView<Project, byte[]>(p =>
            Serialize(new JsonObject { ["id"] = p.Id, ["attr"] = Views.ProjectAttr(p, a) })));

    private static byte[] Serialize(JsonObject item) => System.Text.Encoding.UTF8.GetBytes(item.ToJsonString(JsonReply.Options));
}
