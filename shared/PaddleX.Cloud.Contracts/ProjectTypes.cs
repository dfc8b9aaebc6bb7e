namespace PaddleX.Cloud.Contracts;

public static class ProjectTypes
{
    public static readonly IReadOnlyList<string> All = Enum.GetNames<ProjectType>();

    public static bool IsValid(string? name) => name is not null && All.Contains(name, StringComparer.Ordinal);
}
