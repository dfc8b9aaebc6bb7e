namespace PaddleX.Cloud.Storage.Ports;

/// <summary>An artifact store that lets a client write one artifact directly, without the bytes
/// passing through the API (Blob Storage: a short-lived SAS URL). The local store has no such thing.</summary>
public interface IDirectUploads
{
    /// <summary>A URL the client PUTs the content of <paramref name="path"/> to, with <see cref="DirectUpload.Headers"/>,
    /// valid for <paramref name="lifetime"/>. It allows creating and writing that one artifact only.</summary>
    ValueTask<DirectUpload> CreateUploadAsync(string path, TimeSpan lifetime, CancellationToken cancellationToken = default);
}

/// <param name="Url">Where to PUT the content.</param>
/// <param name="ExpiresOn">When the URL stops being accepted (an upload must have started by then).</param>
/// <param name="Headers">Headers the PUT must carry.</param>
public sealed record DirectUpload(Uri Url, DateTimeOffset ExpiresOn, IReadOnlyDictionary<string, string> Headers);
