using System.Text.Json.Serialization;

namespace PaddleX.Cloud.Vision.Slim;

/// <summary>
/// Output channels that must be pruned together, named by module path (<c>named_modules</c> keys).
/// <see cref="Producers"/> compute the channels (convolutions whose output filters are removed; several when a
/// residual add joins them), <see cref="Norms"/> normalise them (every BatchNorm on the way, the depthwise ones
/// included), <see cref="Depthwise"/> convolutions follow them one-to-one (filters and groups shrink with the
/// channels) and <see cref="Consumers"/> read them (their input channels shrink).
/// </summary>
public sealed record ChannelGroup(
    string Name,
    IReadOnlyList<string> Producers,
    IReadOnlyList<string> Norms,
    IReadOnlyList<string> Depthwise,
    IReadOnlyList<ChannelConsumer> Consumers);

/// <summary>A module reading a group's channels: a convolution or a fully connected layer. <paramref name="Offset"/>
/// is where the group's channels start in its input when a concatenation puts other channels before them
/// (counted in the unpruned network).</summary>
public sealed record ChannelConsumer(string Module, int Offset = 0);

/// <summary>What a pruned network records in its checkpoints: the kept channel count of every pruned group
/// (so the same network can be rebuilt before its weights load), the share of FLOPs asked to remove, the
/// per-group ratios chosen and the complexity before and after, counted at the training input size.</summary>
public sealed record PruningInfo
{
    [JsonPropertyName("channels")] public Dictionary<string, int> Channels { get; init; } = [];
    [JsonPropertyName("ratios")] public Dictionary<string, double> Ratios { get; init; } = [];
    [JsonPropertyName("pruned_flops")] public double PrunedFlops { get; init; }
    [JsonPropertyName("base_flops")] public long BaseFlops { get; init; }
    [JsonPropertyName("base_parameters")] public long BaseParameters { get; init; }
    [JsonPropertyName("flops")] public long Flops { get; init; }
    [JsonPropertyName("parameters")] public long Parameters { get; init; }
}
