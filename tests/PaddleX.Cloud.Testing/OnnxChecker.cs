using System.Diagnostics;

namespace PaddleX.Cloud.Testing;

/// <summary>
/// The ONNX reference checker with full shape inference (<c>onnx.checker.check_model(full_check=True)</c>) from
/// Debian's python3-onnx, run by /usr/bin/python3 (the first python3 on PATH may be another interpreter without it).
/// </summary>
public static class OnnxChecker
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Null when the checker can run, else why not and how to install it (a test fails with it, never skips).</summary>
    public static string? Unavailable()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is missing: apt-get install python3 python3-onnx (or run tests/tools/install.sh)";
        }

        var (code, output) = Run(["-c", "import onnx; print(onnx.__version__)"]);
        return code == 0 ? null : $"{Python} cannot import onnx: apt-get install python3-onnx (or run tests/tools/install.sh)\n{output}";
    }

    /// <summary>Checks every file (IR 8, default-domain opset <paramref name="opset"/>); the exit code and what the checker
    /// printed, with a line <c>checked PATH</c> for each file that passed.</summary>
    public static (int Code, string Output) Check(IEnumerable<string> files, int opset = 17)
    {
        string script = $"""
            import sys, onnx
            for path in sys.argv[1:]:
                model = onnx.load(path)
                onnx.checker.check_model(model, full_check=True)
                assert model.ir_version == 8, (path, model.ir_version)
                assert [o.version for o in model.opset_import if o.domain == ""] == [{opset}], path
                print("checked", path)
            """;
        return Run(["-c", script, .. files]);
    }

    private static (int Code, string Output) Run(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + Python);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
