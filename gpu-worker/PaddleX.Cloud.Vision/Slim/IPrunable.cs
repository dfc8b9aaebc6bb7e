namespace PaddleX.Cloud.Vision.Slim;

/// <summary>A network of this engine that declares its prunable channel groups next to its own code (a new
/// family's models implement it; <see cref="PrunableGroups"/> covers TorchVision's networks by module name).</summary>
public interface IPrunable
{
    IReadOnlyList<ChannelGroup> PrunableGroups();
}
