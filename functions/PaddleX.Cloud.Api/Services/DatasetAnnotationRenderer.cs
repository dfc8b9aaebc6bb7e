using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Datasets;
using PaddleX.Cloud.Datasets.Rendering;

namespace PaddleX.Cloud.Api.Services;

/// <summary>/file with <c>did</c>: the picture drawn with its annotation by the dataset library.</summary>
public sealed class DatasetAnnotationRenderer : IAnnotationRenderer
{
    public async ValueTask<byte[]> RenderAsync(ApiCall call, string did, string relativePath)
    {
        var dataset = await call.DatasetAsync(did);
        var prefix = dataset.Path.TrimEnd('/') + "/";
        if (!relativePath.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new ApiException(ErrorCodes.PathNotAllowed, $"文件{relativePath}不属于数据集{did} (the file is not in this dataset)");
        }

        var artifacts = call.Services.Artifacts;
        var detailsPath = DatasetLayout.Details(dataset.Path);
        if (!await artifacts.ExistsAsync(detailsPath, call.Cancellation))
        {
            throw new ApiException(ErrorCodes.InvalidState, $"数据集{did}还未导入完成 (the dataset is not imported)");
        }

        DatasetDetails details;
        await using (var stream = await artifacts.OpenReadAsync(detailsPath, call.Cancellation))
        {
            details = DatasetDetails.Read(stream);
        }

        var folder = await artifacts.MaterializeAsync(dataset.Path, call.Cancellation);
        var inner = relativePath[prefix.Length..];
        try
        {
            return await Task.Run(() => AnnotationRenderer.Render(dataset.Type, folder, details, inner), call.Cancellation)
                ?? throw new ApiException(ErrorCodes.FileNotFound, $"数据集{did}的标注信息中没有文件{inner} (no annotation for this file)");
        }
        catch (DatasetCheckException failure)
        {
            throw new ApiException(ErrorCodes.UnsupportedFile, failure.Message);
        }
    }
}
