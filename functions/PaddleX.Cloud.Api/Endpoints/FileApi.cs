using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/file: a workspace file: pictures as base64, xml/json raw, logs and text as JSON lines.</summary>
public static partial class FileApi
{
    public const long MaxTextBytes = 1024 * 1024;

    private static readonly HashSet<string> Pictures = new(StringComparer.OrdinalIgnoreCase) { ".jpeg", ".jpg", ".bmp", ".png" };

    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/file", "File", m => m.Get(GetAsync, "A workspace file: pictures as base64 (annotated when did is given), text files raw", "path:string", "did?:string"));

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        var relative = call.ConfinedPath("path");
        var artifacts = call.Services.Artifacts;
        if (!await artifacts.ExistsAsync(relative, call.Cancellation))
        {
            throw new ApiException(ErrorCodes.FileNotFound, $"文件{call.Args.String("path")}不存在 (file not found)");
        }

        var extension = Path.GetExtension(relative);
        if (Pictures.Contains(extension))
        {
            var did = call.Args.String("did");
            byte[] bytes = did is null ? await ReadAllAsync(call, relative) : await call.Services.Renderer.RenderAsync(call, did, relative);
            return JsonReply.Ok(new JsonObject { ["img_data"] = Convert.ToBase64String(bytes) });
        }

        switch (extension.ToLowerInvariant())
        {
            case ".xml":
                return Results.Bytes(await ReadAllAsync(call, relative), "application/xml; charset=utf-8", Path.GetFileName(relative));
            case ".json":
                return Results.Bytes(await ReadAllAsync(call, relative), "application/json; charset=utf-8", Path.GetFileName(relative));
            case ".onnx":
                return Results.Bytes(await ReadAllAsync(call, relative), "application/octet-stream", Path.GetFileName(relative));
            case ".xlsx":
                return Results.Bytes(await ReadAllAsync(call, relative), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Path.GetFileName(relative));
            case ".log" or ".txt":
                var text = await ReadTailAsync(call, relative);
                var lines = text.Split('\n');
                return JsonReply.Ok(new JsonObject
                {
                    ["text"] = text,
                    ["log"] = new JsonArray(lines.Take(lines.Length - (text.EndsWith('\n') ? 1 : 0)).Select(l => (JsonNode?)(l + "\n")).ToArray()),
                });
            default:
                throw new ApiException(ErrorCodes.UnsupportedFile, $"不支持的文件类型{extension} (only pictures, xml, json, xlsx, onnx, log and txt files can be fetched)");
        }
    }

    private static async ValueTask<byte[]> ReadAllAsync(ApiCall call, string relative)
    {
        await using var stream = await call.Services.Artifacts.OpenReadAsync(relative, call.Cancellation);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, call.Cancellation);
        return buffer.ToArray();
    }

    /// <summary>At most the last <see cref="MaxTextBytes"/> of a text file.</summary>
    private static async ValueTask<string> ReadTailAsync(ApiCall call, string relative)
    {
        var bytes = await ReadAllAsync(call, relative);
        var start = (int)Math.Max(0, bytes.Length - MaxTextBytes);
        return Encoding.UTF8.GetString(bytes, start, bytes.Length - start);
    }
}
