using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

public class FileRouteTests : ServerTestBase
{
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    [Fact]
    public async Task Pictures_come_back_as_base64_by_absolute_or_relative_path()
    {
        await WriteFileAsync("datasets/D0001/cat/a.PNG", Png);
        var absolute = Expect.Ok(await Api.GetAsync("/file", new { path = DisplayPath("datasets/D0001/cat/a.PNG") })); // absolute locally
        Assert.Equal(Png, Convert.FromBase64String(absolute["img_data"]!.GetValue<string>()));
        var relative = Expect.Ok(await Api.GetQueryAsync("/file?path=datasets/D0001/cat/a.PNG"));
        Assert.Equal(absolute["img_data"]!.GetValue<string>(), relative["img_data"]!.GetValue<string>());
    }

    [Fact]
    public async Task Xml_comes_back_raw_and_logs_as_json_lines()
    {
        await WriteFileAsync("a.xml", "<annotation><object><name>猫</name></object></annotation>");
        await WriteFileAsync("out.log", "第一行\nline two\n");
        var xml = await Api.Http.GetStringAsync(new Uri($"/file?path={Uri.EscapeDataString(DisplayPath("a.xml"))}", UriKind.Relative));
        Assert.Equal("<annotation><object><name>猫</name></object></annotation>", xml);
        var log = Expect.Ok(await Api.GetAsync("/file", new { path = "out.log" }));
        Assert.Equal(["第一行\n", "line two\n"], log["log"]!.AsArray().Select(l => l!.GetValue<string>()));
    }

    [Fact]
    public async Task Escaping_paths_are_refused()
    {
        await WriteFileAsync("datasets/D0001/ok.log", "fine");
        foreach (var path in new[]
        {
            "/etc/passwd",
            "../outside/secret.log",
            "datasets/../../etc/passwd",
            "datasets/D0001/../../../x.log",
            "https://evil.example.com/x.log",
            "file:///etc/passwd",
        })
        {
            Expect.Error(await Api.GetAsync("/file", new { path }), "path_not_allowed");
        }

        Expect.Ok(await Api.GetAsync("/file", new { path = "datasets/D0001/ok.log" }));
    }

    [Fact]
    public async Task Missing_files_and_other_types_are_clear_errors()
    {
        Expect.Error(await Api.GetAsync("/file", new { path = "nothing.png" }), "file_not_found");
        Expect.Error(await Api.GetAsync("/file"), "missing_argument");
        await WriteFileAsync("x.bin", "x");
        Expect.Error(await Api.GetAsync("/file", new { path = "x.bin" }), "unsupported_file");
    }
}

public sealed class FileRouteAzureTests : FileRouteTests
{
    protected override bool Azure => true;
}

/// <summary>Local mode only: absolute paths elsewhere on this machine, sibling folders and symbolic links.</summary>
public sealed class FileRouteLocalOnlyTests : ServerTestBase
{
    [Fact]
    public async Task Paths_outside_the_workspace_are_refused()
    {
        var outside = TempFolder.Create("outside");
        await File.WriteAllTextAsync(Path.Combine(outside, "secret.log"), "secret");
        var sibling = Server.Workspace + "_evil";
        Directory.CreateDirectory(sibling);
        await File.WriteAllTextAsync(Path.Combine(sibling, "x.log"), "secret");
        File.CreateSymbolicLink(Path.Combine(Server.Workspace, "link.log"), Path.Combine(outside, "secret.log"));
        Directory.CreateSymbolicLink(Path.Combine(Server.Workspace, "linkdir"), outside);

        foreach (var path in new[]
        {
            "/etc/passwd",
            Path.Combine(outside, "secret.log"),
            "../" + Path.GetFileName(outside) + "/secret.log",
            Path.Combine(Server.Workspace, "..", Path.GetFileName(sibling), "x.log"),
            Path.Combine(sibling, "x.log"),
            "link.log",
            "linkdir/secret.log",
            Path.Combine(Server.Workspace, "datasets", "..", "..", "etc", "passwd"),
        })
        {
            Expect.Error(await Api.GetAsync("/file", new { path }), "path_not_allowed");
        }
    }
}
