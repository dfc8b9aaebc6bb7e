namespace PaddleX.Cloud.Api.Http;

/// <summary>One item of a list answer, serialized once per entity version. The id places the item
/// in a block of the cached answer (see <see cref="ListBody"/>).</summary>
public sealed class ListItem(string id, byte[] json)
{
    public string Id { get; } = id;

    public byte[] Json { get; } = json;

    /// <summary>The same id and bytes: a store that hands out new instances for unchanged
    /// entities still reuses their compressed block.</summary>
    public bool SameAs(ListItem other) =>
        ReferenceEquals(this, other) || (Id == other.Id && Json.AsSpan().SequenceEqual(other.Json));
}
