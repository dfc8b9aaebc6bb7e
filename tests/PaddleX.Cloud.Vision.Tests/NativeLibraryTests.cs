using System.Text;
using PaddleX.Cloud.Vision.Runtime;
using TorchSharp;

namespace PaddleX.Cloud.Vision.Tests;

public class NativeLibraryTests
{
    private static string OutputLibrary()
    {
        string baseDir = AppContext.BaseDirectory;
        string[] candidates =
        [
            Path.Combine(baseDir, "libLibTorchSharp.so"),
            Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
        ];
        return candidates.First(File.Exists);
    }

    private static string CacheLibrary()
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    /// <summary>vna_flags of the named Vernaux entry, or null when the file does not need that version.</summary>
    internal static int? VersionNeedFlags(string path, string version)
    {
        byte[] b = File.ReadAllBytes(path);
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)(shoff + (long)i * shentsize);
            if (BitConverter.ToUInt32(b, sh + 4) != 0x6ffffffe)
            {
                continue;
            }

            long off = BitConverter.ToInt64(b, sh + 0x18);
            int link = (int)BitConverter.ToUInt32(b, sh + 0x28);
            int count = (int)BitConverter.ToUInt32(b, sh + 0x2C);
            long str = BitConverter.ToInt64(b, (int)(shoff + (long)link * shentsize) + 0x18);
            long vn = off;
            for (int n = 0; n < count; n++)
            {
                int cnt = BitConverter.ToUInt16(b, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(b, (int)vn + 8);
                for (int a = 0; a < cnt; a++)
                {
                    int s = (int)(str + BitConverter.ToUInt32(b, (int)aux + 8)), e = s;
                    while (b[e] != 0)
                    {
                        e++;
                    }

                    if (Encoding.ASCII.GetString(b, s, e - s) == version)
                    {
                        return BitConverter.ToUInt16(b, (int)aux + 4);
                    }

                    aux += BitConverter.ToUInt32(b, (int)aux + 12);
                }

                vn += BitConverter.ToUInt32(b, (int)vn + 12);
            }
        }

        return null;
    }

    [Fact]
    public void Output_library_marks_GLIBCXX_3_4_32_weak()
    {
        int? flags = VersionNeedFlags(OutputLibrary(), "GLIBCXX_3.4.32");
        Assert.NotNull(flags);
        Assert.Equal(0x2, flags!.Value & 0x2);
    }

    [Fact]
    public void Package_cache_copy_is_left_untouched()
    {
        // The output is hard-linked from the NuGet cache: the patch must break the link, not edit the cache file.
        string cache = CacheLibrary();
        Assert.True(File.Exists(cache), $"expected the TorchSharp package in {cache}");
        int? flags = VersionNeedFlags(cache, "GLIBCXX_3.4.32");
        Assert.NotNull(flags);
        Assert.Equal(0, flags!.Value & 0x2);
        byte[] a = File.ReadAllBytes(cache), b = File.ReadAllBytes(OutputLibrary());
        Assert.Equal(a.Length, b.Length);
        Assert.Equal(1, a.Zip(b).Count(p => p.First != p.Second));
    }

    [Fact]
    public void Libtorch_loads_and_runs_a_tensor_op()
    {
        string status = TorchRuntime.Probe();
        Assert.StartsWith("libtorch ok (8)", status, StringComparison.Ordinal);
        using var x = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var y = x.matmul(x.t());
        Assert.Equal([5f, 14f, 14f, 50f], y.data<float>().ToArray());
    }
}
