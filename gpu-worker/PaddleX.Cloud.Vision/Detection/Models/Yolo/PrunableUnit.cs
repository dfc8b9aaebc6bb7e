using PaddleX.Cloud.Vision.Slim;
using TorchSharp.Modules;
using static TorchSharp.torch;
using GroupBuilder = PaddleX.Cloud.Vision.Slim.PrunableGroups.GroupBuilder;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>
/// A layer of a YOLO neck as the pruner sees it, declared next to its code: which of its modules read its input
/// channels, and which group its output channels form. A unit whose output channels are its input's (DropBlock, a
/// depthwise convolution) reads nothing and extends its input's group instead.
/// </summary>
internal interface IPrunableUnit
{
    /// <summary>The modules (paths under the unit's own <paramref name="path"/>) reading the input channels that start at
    /// <paramref name="offset"/> of the unit's input, counted in the unpruned network; empty when the unit passes its
    /// channels through.</summary>
    IEnumerable<ChannelConsumer> Readers(string path, int offset);

    /// <summary>The open group of the unit's output channels (the caller adds their readers); groups that close inside
    /// the unit go to <paramref name="groups"/>. A unit passing its channels through extends and returns
    /// <paramref name="input"/>, the open group of its input channels (null when the chain starts here).</summary>
    GroupBuilder? Output(string path, GroupBuilder? input, List<ChannelGroup> groups);
}

/// <summary>Couples a chain of <see cref="IPrunableUnit"/>s (a neck level's block, a tip, a transition): every unit's
/// output group is read by the next unit that reads.</summary>
internal static class UnitChain
{
    /// <summary>Walks <paramref name="units"/> in order (TorchSharp's <c>Identity</c> passes through), adding the groups
    /// that close inside the chain to <paramref name="groups"/>.</summary>
    /// <returns>the readers of the chain's input by offset, and the open group of its output (null when every unit
    /// passes its channels through: the chain's readers are then those of whatever follows).</returns>
    /// <exception cref="NotSupportedException">a unit that declares nothing, or a depthwise convolution first.</exception>
    public static (Func<int, IReadOnlyList<ChannelConsumer>> InputReaders, GroupBuilder? Output) Walk(IEnumerable<(string Path, nn.Module Module)> units, List<ChannelGroup> groups)
    {
        Func<int, IReadOnlyList<ChannelConsumer>>? first = null;
        GroupBuilder? open = null;
        foreach (var (path, module) in units)
        {
            if (module is Identity)
            {
                continue;
            }

            var unit = module as IPrunableUnit ?? throw new NotSupportedException($"{module.GetName()} at {path} declares no prunable channels");
            var readers = unit.Readers(path, 0).ToList();
            if (readers.Count > 0)
            {
                if (first is null)
                {
                    first = offset => unit.Readers(path, offset).ToList();
                }
                else
                {
                    groups.Add(Read(open!, readers).Build());
                }
            }

            open = unit.Output(path, open, groups);
        }

        return (first ?? (_ => []), open);
    }

    /// <summary>Adds <paramref name="readers"/> to a group's consumers.</summary>
    public static GroupBuilder Read(GroupBuilder group, IEnumerable<ChannelConsumer> readers)
    {
        foreach (var reader in readers)
        {
            group.Consumer(reader.Module, reader.Offset);
        }

        return group;
    }
}
