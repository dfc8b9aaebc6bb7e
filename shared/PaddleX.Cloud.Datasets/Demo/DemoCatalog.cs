using System.Globalization;
using PaddleX.Cloud.Contracts;

namespace PaddleX.Cloud.Datasets.Demo;

/// <summary>One demo: the project type it shows and the archive name the original used for it.</summary>
public sealed record DemoEntry(ProjectType Type, string Name)
{
    public string TypeName => Type.ToString();

    /// <summary>Workspace folder of this demo: status, and the extracted dataset under <see cref="Name"/>.</summary>
    public string Folder => $"{DemoCatalog.Root}/{TypeName}";

    public string DatasetFolder => $"{Folder}/{Name}";

    public string ParamsFile => $"{DatasetFolder}/{Name}_params.json";

    public string StatusFile => $"{Folder}/status.json";

    public string StopFile => $"{Folder}/stop";

    public string LoadedFile => $"{Folder}/loaded.json";

    public string ArchiveFile => $"{Name}.zip";
}

/// <summary>The five demos, by project type (the original's archive names).</summary>
public static class DemoCatalog
{
    public const string Root = "demo_datasets";

    public static IReadOnlyList<DemoEntry> All { get; } =
    [
        new(ProjectType.classification, "vegetables_cls"),
        new(ProjectType.detection, "insect_det"),
        new(ProjectType.segmentation, "optic_disc_seg"),
        new(ProjectType.instance_segmentation, "xiaoduxiong_ins_det"),
        new(ProjectType.remote_segmentation, "remote_sensing_seg"),
    ];

    /// <summary>The demo for a <c>prj_type</c> argument: the enum value (number or digits) or its name.</summary>
    public static DemoEntry? Find(string prjType)
    {
        var text = prjType.Trim();
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return All.FirstOrDefault(d => (int)d.Type == value);
        }

        return All.FirstOrDefault(d => d.TypeName == text);
    }
}
