using System.IO.Compression;
using System.Text;
using Google.Protobuf;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>The cached list answer: its gzip body, stitched from blocks compressed one by one, is a
/// valid gzip stream (the decoder checks the combined CRC and length) of exactly the identity body,
/// for every version of a list changed anywhere; a change recompresses only the blocks it touched
/// and, for the local store's listings, allocates nothing the size of the list; and only one body per
/// list is kept.</summary>
public sealed class ListBodyTests
{
    [Fact]
    public void Crc_of_a_concatenation_combines_from_its_parts()
    {
        var random = new Random(3);
        for (var round = 0; round < 50; round++)
        {
            var a = new byte[random.Next(0, 3000)];
            var b = new byte[random.Next(0, 3000)];
            random.NextBytes(a);
            random.NextBytes(b);
            Assert.Equal(Crc32.Of([.. a, .. b]), Crc32.Combine(Crc32.Of(a), Crc32.Of(b), Crc32.ShiftFor(b.Length)));
        }

        Assert.Equal(0xCBF43926u, Crc32.Of("123456789"u8)); // the standard check value
    }

    [Fact]
    public async Task Every_version_of_a_list_changed_anywhere_gzips_to_its_identity_body()
    {
        var random = new Random(11);
        var cache = new ListBodyCache("datasets");
        var items = Enumerable.Range(1, 600).Select(i => Item(i, "v0")).ToList();
        var next = 601;
        for (var step = 0; step < 150; step++)
        {
            for (var change = random.Next(0, 4); change > 0 && items.Count > 0; change--)
            {
                var at = random.Next(items.Count);
                switch (random.Next(3))
                {
                    case 0: items.Insert(at, Item(next++, "new")); break; // ids need not be in order here
                    case 1: items.RemoveAt(at); break;
                    default: items[at] = Item(int.Parse(items[at].Id[1..]), "step " + step); break;
                }
            }

            if (step == 100)
            {
                items.Clear(); // the empty list too, and growing from it
            }

            var listed = items.ToList();
            var body = await cache.GetAsync(listed, gzip: random.Next(4) > 0);
            var identity = Identity(listed);
            Assert.Equal(identity.Length, body.Length);
            Assert.Equal(Encoding.UTF8.GetString(identity), Encoding.UTF8.GetString(Gunzip((await cache.GetAsync(listed, gzip: true)).Gzip!)));
        }
    }

    [Fact]
    public async Task A_change_recompresses_only_its_block_and_an_equal_list_keeps_its_etag()
    {
        var cache = new ListBodyCache("projects");
        var items = Enumerable.Range(1, 10_000).Select(i => Item(i, "seeded")).ToList();
        var first = await cache.GetAsync(items.ToList(), gzip: true);

        items[5_000] = Item(5_001, "changed");
        var second = await cache.GetAsync(items.ToList(), gzip: true);
        var renewed = second.Gzip!.Except(first.Gzip!, ReferenceEqualityComparer.Instance).Count();
        Assert.True(renewed <= 2, $"{renewed} segments made again for one changed item"); // its block and the trailer
        Assert.NotEqual(first.ETag, second.ETag);

        var copies = items.Select(i => new ListItem(i.Id, [.. i.Json])).ToList(); // another listing of the same entities
        var third = await cache.GetAsync(copies, gzip: true);
        Assert.Same(second, third);
        Assert.True(first.Gzip!.Sum(s => s.Length) < first.Length / 4, "the gzip body is not smaller than a quarter");

        // The decoder checks the trailer, so the round trips above check the combined CRC.
        var damaged = third.Gzip!.Select(s => s.ToArray()).ToArray();
        damaged[^1][0] ^= 1;
        Assert.Throws<InvalidDataException>(() => Gunzip(damaged));
    }

    [Fact]
    public async Task A_local_store_listing_after_a_change_costs_the_change_not_the_list()
    {
        var folder = TempFolders.Create("list-bodies-");
        var workspace = new Workspace { Version = "0.2.0", MaxDatasetId = 20_000 };
        for (var i = 1; i <= 20_000; i++)
        {
            var id = EntityIds.Format(EntityIds.Dataset, i);
            workspace.Datasets.Add(id, new Dataset { Id = id, Name = "数据集 " + i, Desc = "seeded" });
        }

        File.WriteAllBytes(Path.Combine(folder, "workspace.newest.pb"), workspace.ToByteArray());
        using var store = new LocalMetadataStore(folder);
        var view = new EntityView<Dataset, ListItem>(d => Item(EntityIds.Parse(EntityIds.Dataset, d.Id), d.Desc));
        var cache = new ListBodyCache("datasets");
        await cache.GetAsync(await store.Datasets.ListViewsAsync(view), gzip: true);
        var random = new Random(7);
        for (var round = 0; round < 12; round++)
        {
            await store.Datasets.UpdateAsync(EntityIds.Format(EntityIds.Dataset, random.Next(1, 20_000)), d => d.Desc = "round " + round);
            if (round % 3 == 0)
            {
                await store.Datasets.CreateAsync(id => new Dataset { Id = id, Desc = "created" });
            }

            if (round % 4 == 1)
            {
                await store.Datasets.DeleteAsync(EntityIds.Format(EntityIds.Dataset, random.Next(1, 20_000)));
            }

            // Listing and encoding complete without waiting here, so this thread's count is theirs.
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var listed = await store.Datasets.ListViewsAsync(view);
            var body = await cache.GetAsync(listed, gzip: true);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

            // One array of the 20,000 items alone would be 160 KB (on the large-object heap).
            Assert.True(allocated < 128 * 1024, $"round {round}: {allocated / 1024} KiB allocated to list 20,000 datasets after a change");
            Assert.Equal(Encoding.UTF8.GetString(Identity(listed)), Encoding.UTF8.GetString(Gunzip(body.Gzip!)));

            allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            Assert.Same(body, await cache.GetAsync(await store.Datasets.ListViewsAsync(view), gzip: true));
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            Assert.True(allocated < 1024, $"round {round}: {allocated} bytes allocated to list an unchanged version again");
        }
    }

    [Fact]
    public async Task Only_the_newest_body_of_a_list_is_kept()
    {
        var cache = new ListBodyCache("datasets");
        var old = await OldBodyAsync(cache);
        for (var version = 0; version < 3; version++)
        {
            await cache.GetAsync([Item(1, "version " + version)], gzip: true);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(old.IsAlive);
    }

    [Theory]
    [InlineData("gzip, deflate", true)]
    [InlineData("gzip, deflate, br, zstd", true)]
    [InlineData("br;q=1.0, GZIP;q=0.5", true)]
    [InlineData("*", true)]
    [InlineData("gzip;q=0", false)]
    [InlineData("gzip; q=0.000, deflate", false)]
    [InlineData("deflate, br", false)]
    [InlineData("identity", false)]
    [InlineData("", false)]
    public void Gzip_is_sent_only_when_accepted(string acceptEncoding, bool expected) =>
        Assert.Equal(expected, JsonListReply.AcceptsGzip(acceptEncoding));

    private static async Task<WeakReference> OldBodyAsync(ListBodyCache cache) =>
        new(await cache.GetAsync([Item(1, "first")], gzip: true));

    private static ListItem Item(int number, string desc)
    {
        var id = $"D{number:D4}";
        return new ListItem(id, Encoding.UTF8.GetBytes($"{{\"id\":\"{id}\",\"attr\":{{\"desc\":\"{desc}\",\"name\":\"数据集 {number}\"}}}}"));
    }

    private static byte[] Identity(IReadOnlyList<ListItem> items) =>
        Encoding.UTF8.GetBytes("{\"status\":1,\"datasets\":[" + string.Join(",", items.Select(i => Encoding.UTF8.GetString(i.Json))) + "]}");

    private static byte[] Gunzip(byte[][] segments)
    {
        using var input = new MemoryStream([.. segments.SelectMany(s => s)]);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
