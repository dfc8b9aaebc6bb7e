using System.Collections.Immutable;
using Google.Protobuf;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>The lists a version derives from the version before it (the chunks of a table, the views
/// of a listing) equal the ones made from scratch, whatever the changes in between, and share what a
/// change did not touch.</summary>
public sealed class IncrementalListTests
{
    [Fact]
    public void A_tables_chunks_follow_updates_inserts_and_removals_anywhere()
    {
        var random = new Random(17);
        var workspace = new Workspace();
        for (var i = 1; i <= 800; i += 4)
        {
            workspace.Datasets.Add(EntityIds.Format(EntityIds.Dataset, i), new Dataset { Id = EntityIds.Format(EntityIds.Dataset, i) });
        }

        var table = EntityKind.Datasets.Read(workspace);
        for (var step = 0; step < 4000; step++)
        {
            // New ids land between stored ones and split chunks; the last quarter mostly removes, down
            // to empty chunks and an empty table.
            var id = EntityIds.Format(EntityIds.Dataset, random.Next(1, 900));
            var remove = step < 3000 ? random.Next(4) == 0 : random.Next(8) != 0;
            table = remove ? table.Remove(id, 0) : table.Put(id, new Dataset { Id = id, Name = "v" + step }, 0);
            if (random.Next(step % 500 < 100 ? 20 : 2) == 0) // stretches with many unread versions too
            {
                AssertSameEntities(table);
            }
        }

        AssertSameEntities(table);
    }

    [Fact]
    public void A_listings_views_follow_updates_inserts_and_removals_anywhere()
    {
        var random = new Random(5);
        var view = new EntityView<Dataset, string>(d => d.Name);
        var stored = Enumerable.Range(0, 100).Select(i => new Dataset { Name = "n" + i }).ToList();
        var next = 100;
        for (var step = 0; step < 2000; step++)
        {
            for (var change = random.Next(1, 4); change > 0; change--)
            {
                var at = random.Next(Math.Max(stored.Count, 1));
                switch (stored.Count == 0 ? 0 : random.Next(3))
                {
                    case 0: stored.Insert(random.Next(stored.Count + 1), new Dataset { Name = "n" + next++ }); break;
                    case 1: stored.RemoveAt(at); break;
                    default: stored[at] = new Dataset { Name = "n" + next++ }; break;
                }
            }

            var snapshot = stored.ToImmutableArray();
            Assert.Equal(snapshot.Select(d => d.Name), view.ListOfStored(snapshot, snapshot));
        }
    }

    [Fact]
    public void A_change_copies_only_the_chunk_it_falls_in_and_its_views_follow()
    {
        var workspace = new Workspace();
        for (var i = 1; i <= 5_000; i++)
        {
            workspace.Datasets.Add(EntityIds.Format(EntityIds.Dataset, i), new Dataset { Id = EntityIds.Format(EntityIds.Dataset, i), Name = "n" + i });
        }

        var view = new EntityView<Dataset, string>(d => d.Name);
        var table = EntityKind.Datasets.Read(workspace);
        var before = (ChunkedList<string>)view.ListOfStored(table, StoredList<Dataset>.Of(table.Ordered));
        var changed = table.Put("D2500", new Dataset { Id = "D2500", Name = "changed" }, 0).Put("D5001", new Dataset { Id = "D5001", Name = "new" }, 0);
        var after = (ChunkedList<string>)view.ListOfStored(changed, StoredList<Dataset>.Of(changed.Ordered));

        Assert.Equal(changed.Items.Values.Select(d => ((Dataset)d).Name), after);
        var sharedChunks = table.Ordered.Chunks.Intersect(changed.Ordered.Chunks, ReferenceEqualityComparer.Instance).Count();
        Assert.Equal(table.Ordered.Chunks.Count - 2, sharedChunks); // the updated chunk and the one appended to
        var sharedViews = before.Chunks.Select(c => c.Key).Intersect(after.Chunks.Select(c => c.Key), ReferenceEqualityComparer.Instance).Count();
        Assert.Equal(sharedChunks, sharedViews);
        Assert.All(changed.Ordered.Chunks, c => Assert.InRange(c.Length, 1, ChunkedEntities.MaxChunk));
    }

    private static void AssertSameEntities(EntityTable table)
    {
        Assert.True(table.Items.Values.SequenceEqual(StoredList<IMessage>.Of(table.Ordered), ReferenceEqualityComparer.Instance), "the chunks differ from the tree");
        Assert.All(table.Ordered.Chunks, c => Assert.InRange(c.Length, 1, ChunkedEntities.MaxChunk));
    }
}
