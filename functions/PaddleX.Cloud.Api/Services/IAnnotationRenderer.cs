namespace PaddleX.Cloud.Api.Services;

/// <summary>Draws a dataset picture with its annotation (boxes, masks, label caption).</summary>
public interface IAnnotationRenderer
{
    /// <summary>PNG bytes of the picture at <paramref name="relativePath"/> with the labels of dataset <paramref name="did"/>.</summary>
    ValueTask<byte[]> RenderAsync(Http.ApiCall call, string did, string relativePath);
}
