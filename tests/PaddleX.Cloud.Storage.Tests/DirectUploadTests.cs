using System.Net;
using System.Web;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Blobs.Models;
using PaddleX.Cloud.Azure.Blobs;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>Large dataset archives go straight to Blob Storage with a short-lived SAS URL from the
/// API. Against Azurite the URL is signed with the account key (the emulator issues no user
/// delegation keys to a real identity); deployed, shared keys are off and the same interface signs
/// it with a user-delegation key, whose SAS parameters are checked here offline.</summary>
public sealed class DirectUploadTests : IDisposable
{
    private readonly BlobArtifactStore store;
    private readonly HttpClient http = new();

    public DirectUploadTests()
    {
        var container = Emulators.Backends.CreateBlobContainerClient();
        container.CreateIfNotExists();
        store = new BlobArtifactStore(container, Emulators.NewWorkspaceId());
    }

    public void Dispose() => http.Dispose();

    private async Task<HttpStatusCode> PutAsync(Uri url, byte[] content, bool blockBlobHeader = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent(content) };
        if (blockBlobHeader)
        {
            request.Headers.Add("x-ms-blob-type", "BlockBlob");
        }

        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_client_puts_the_archive_to_the_url_and_the_store_reads_it()
    {
        var path = "datasets/D0001/.upload/a.zip";
        var upload = await store.CreateUploadAsync(path, TimeSpan.FromMinutes(10));
        Assert.Equal("BlockBlob", upload.Headers["x-ms-blob-type"]);
        Assert.InRange(upload.ExpiresOn - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));

        var content = new byte[300_000];
        new Random(7).NextBytes(content);
        Assert.Equal(HttpStatusCode.Created, await PutAsync(upload.Url, content));

        await using var read = await store.OpenReadAsync(path);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task The_url_writes_only_its_own_blob_and_reads_nothing()
    {
        var upload = await store.CreateUploadAsync("datasets/D0002/.upload/b.zip", TimeSpan.FromMinutes(10));
        var builder = new UriBuilder(upload.Url);
        builder.Path = builder.Path.Replace("b.zip", "other.zip", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(builder.Uri, [1, 2, 3]));

        Assert.Equal(HttpStatusCode.Created, await PutAsync(upload.Url, [1, 2, 3]));
        using var get = await http.GetAsync(upload.Url);
        Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
        Assert.False(await store.ExistsAsync("datasets/D0002/.upload/other.zip"));
    }

    [Fact]
    public async Task An_expired_url_is_refused()
    {
        var upload = await store.CreateUploadAsync("datasets/D0003/.upload/c.zip", TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(upload.Url, [1]));
    }

    [Fact]
    public void The_user_delegation_sas_allows_create_and_write_of_one_blob_over_https_for_its_lifetime()
    {
        // What the deployed path signs: the same builder, with a key Storage would issue to the identity.
        var now = new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);
        var endpoint = new Uri("https://stexample.blob.core.windows.net/paddlex/ws1/datasets/D0001/.upload/a.zip");
        var sas = BlobArtifactStore.UploadSas("paddlex", "ws1/datasets/D0001/.upload/a.zip", endpoint, now, TimeSpan.FromHours(1));
        // (object id, tenant id, starts, expires, service, version, key value)
        var key = BlobsModelFactory.UserDelegationKey(
            "11111111-1111-1111-1111-111111111111",
            "22222222-2222-2222-2222-222222222222",
            sas.StartsOn,
            sas.ExpiresOn,
            "b",
            "2025-01-05",
            Convert.ToBase64String(new byte[32]));
        var url = new BlobUriBuilder(endpoint) { Sas = sas.ToSasQueryParameters(key, "stexample") }.ToUri();
        var query = HttpUtility.ParseQueryString(url.Query);

        Assert.Equal("cw", query["sp"]); // create + write: no read, list or delete
        Assert.Equal("b", query["sr"]); // this blob, not the container
        Assert.Equal("https", query["spr"]);
        Assert.Equal("11111111-1111-1111-1111-111111111111", query["skoid"]); // signed by the app's identity
        Assert.Equal(now.AddHours(1), DateTimeOffset.Parse(query["se"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(now.AddMinutes(-5), DateTimeOffset.Parse(query["st"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(string.IsNullOrEmpty(query["sig"]));
        Assert.Equal("/paddlex/ws1/datasets/D0001/.upload/a.zip", url.AbsolutePath);

        // The emulator's plain HTTP endpoint is the only case that allows http.
        Assert.Equal(global::Azure.Storage.Sas.SasProtocol.HttpsAndHttp, BlobArtifactStore.UploadSas("c", "b", new Uri("http://127.0.0.1:10000/devstoreaccount1/c/b"), now, TimeSpan.FromHours(1)).Protocol);
    }
}
