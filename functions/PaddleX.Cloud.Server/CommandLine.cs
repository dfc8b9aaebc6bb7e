namespace PaddleX.Cloud.Server;

/// <summary>The original server's command line (<c>--port</c>, <c>--workspace_dir</c>, with its
/// aliases <c>--pt</c>, <c>--wd</c>) plus ours, turned into configuration keys.</summary>
public static class CommandLine
{
    private static readonly Dictionary<string, string> Keys = new(StringComparer.Ordinal)
    {
        ["--port"] = "Server:Port",
        ["--pt"] = "Server:Port",
        ["--host"] = "Server:Host",
        ["--workspace_dir"] = "Workspace",
        ["--wd"] = "Workspace",
        ["--api_key"] = "Api:ApiKey",
        ["--backend"] = "Backend",
        ["--tenant"] = "Tenant:Id",
        ["--worker"] = "Worker:Enabled",
        ["--import_roots"] = "Api:ImportRoots",
        ["--weights_catalog"] = "Training:WeightsCatalog",
        ["--demo_source"] = "Demo:Source",
    };

    /// <summary>Configuration pairs from the arguments. Accepts <c>--key value</c> and <c>--key=value</c>;
    /// <c>--import_roots</c> takes a path list separated by ':' or ','.</summary>
    public static IReadOnlyList<KeyValuePair<string, string?>> Parse(IReadOnlyList<string> args)
    {
        var pairs = new List<KeyValuePair<string, string?>>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string name;
            string? value;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                name = arg[..equals];
                value = arg[(equals + 1)..];
            }
            else
            {
                name = arg;
                value = i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            }

            if (name is "--start_restful" or "-sr")
            {
                i -= equals > 0 ? 0 : 1; // a flag of the original's command line, without a value
                continue;
            }

            if (!Keys.TryGetValue(name, out var key))
            {
                throw new ArgumentException($"unknown option {name}; known: {string.Join(", ", Keys.Keys)}");
            }

            if (key == "Api:ImportRoots")
            {
                var roots = value.Split([':', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                pairs.AddRange(roots.Select((root, n) => new KeyValuePair<string, string?>($"{key}:{n}", Path.GetFullPath(root))));
            }
            else if (key == "Training:WeightsCatalog")
            {
                pairs.Add(new(key, Path.GetFullPath(value))); // on the command line always a local folder
            }
            else
            {
                pairs.Add(new(key, value));
            }
        }

        return pairs;
    }
}
