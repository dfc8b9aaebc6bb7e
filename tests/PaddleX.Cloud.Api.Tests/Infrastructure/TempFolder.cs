namespace PaddleX.Cloud.Api.Tests.Infrastructure;

public static class TempFolder
{
    public static string Create(string prefix) => TempFolders.Create(prefix);
}
