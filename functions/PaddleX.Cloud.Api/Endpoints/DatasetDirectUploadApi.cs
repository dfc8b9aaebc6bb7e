using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Datasets;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary><c>POST /dataset/upload/url</c>: a short-lived URL to PUT a dataset archive straight into
/// the artifact store, for archives the Functions host cannot take in a request body (about 100 MB).
/// The client then imports it with <c>PUT /dataset</c> and the returned <c>path</c>. Only stores
/// that support direct uploads (Blob Storage) offer it; the embedded server answers status -1 and
/// <c>POST /dataset/upload</c> takes up to 2 GiB there.</summary>
public static partial class DatasetApi
{
    /// <summary>How long a direct-upload URL accepts the start of an upload.</summary>
    public static readonly TimeSpan DirectUploadLifetime = TimeSpan.FromHours(1);

    private static void MapDirectUploadRoute(RouteTableBuilder routes) =>
        routes.Route("/dataset/upload/url", "DatasetUploadUrl", m => m.Post(UploadUrlAsync, "A short-lived URL to upload a dataset archive straight to Blob Storage (cloud only)", "did:string"));

    private static async ValueTask<IResult> UploadUrlAsync(ApiCall call)
    {
        var did = call.Args.RequireString("did");
        var dataset = await call.DatasetAsync(did);
        RequireKnownType(dataset);
        if (call.Services.Artifacts is not IDirectUploads uploads)
        {
            throw new ApiException(ErrorCodes.NotImplementedYet, "当前存储不支持直传，请使用POST /dataset/upload (direct upload needs the cloud backend's Blob Storage; use POST /dataset/upload)");
        }

        if (JobControl.IsRunning(dataset.State))
        {
            throw JobRunning();
        }

        var path = $"{dataset.Path.TrimEnd('/')}/{DatasetLayout.UploadFolder}/{Guid.NewGuid():N}.zip";
        var upload = await uploads.CreateUploadAsync(path, DirectUploadLifetime, call.Cancellation);
        var headers = new JsonObject();
        foreach (var (name, value) in upload.Headers)
        {
            headers[name] = value;
        }

        return JsonReply.Ok(new JsonObject
        {
            ["url"] = upload.Url.ToString(),
            ["method"] = "PUT",
            ["headers"] = headers,
            ["path"] = path,
            ["expires"] = upload.ExpiresOn.ToString("O", CultureInfo.InvariantCulture),
            ["max_bytes"] = DatasetOptions.MaxUploadBytes,
        });
    }
}
