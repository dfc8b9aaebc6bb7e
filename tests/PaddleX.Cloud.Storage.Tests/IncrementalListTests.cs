using System.Collections.Immutable;
using Google.Protobuf;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>The lists a version derives from the version before it (the flat array of a table, the
/// views of a listing) equal the ones made from scratch, whatever the changes in between.</summary>
public sealed class IncrementalListTests
{
    [Fact]
    public void A_tables_flat_array_follows_updates_inserts_and_removals_anywhere()
    {
        var random = new Random(17);
        var workspace = new Workspace();
        for (var i = 1; i <= 200; i += 2)
        {
            workspace.Datasets.Add(EntityIds.Format(EntityIds.Dataset, i), new Dataset { Id = EntityIds.Format(EntityIds.Dataset, i) });
        }

        var table = EntityKind.Datasets.Read(workspace);
        for (var step = 0; step < 3000; step++)
        {
            var id = EntityIds.Format(EntityIds.Dataset, random.Next(1, 240)); // new ids land between stored ones
            table = random.Next(4) == 0 ? table.Remove(id, 0) : table.Put(id, new Dataset { Id = id, Name = "v" + step }, 0);
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

    private static void AssertSameEntities(EntityTable table) =>
        Assert.True(table.Items.Values.SequenceEqual(table.Ordered, ReferenceEqualityComparer.Instance), "the flat array differs from the tree");
}
