using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace PaddleX.Cloud.Azure;

/// <summary>Which stores a host uses (<c>Backend</c>, the <c>--backend</c> option of the server and the
/// worker) and the settings of the Azure ones, bound from the root of the configuration. Validated at
/// start: a backend whose settings do not fit it stops the host with a message saying what to change.</summary>
public sealed partial class BackendOptions
{
    public const string Local = "local";

    public const string Azure = "azure";

    /// <summary>Settings that name a cloud store. Any of them with the local backend means the host
    /// was meant to run against the cloud and forgot <c>--backend azure</c> (it would otherwise serve
    /// an empty local workspace and poll a local queue nobody writes to).</summary>
    public static readonly IReadOnlyList<string> CloudStoreKeys =
    [
        "Cosmos:ConnectionString", "Cosmos:Endpoint", "Storage:ConnectionString", "Storage:BlobEndpoint",
        "Storage:QueueEndpoint", "Jobs:ConnectionString", "Jobs:Namespace",
    ];

    public string Backend { get; set; } = Local;

    public TenantOptions Tenant { get; set; } = new();

    public CosmosOptions Cosmos { get; set; } = new();

    public StorageOptions Storage { get; set; } = new();

    public JobsOptions Jobs { get; set; } = new();

    public bool IsAzure => string.Equals(Backend, Azure, StringComparison.OrdinalIgnoreCase);

    /// <summary>Local is the default, also when <c>Backend</c> is set but empty.</summary>
    public bool IsLocal => string.IsNullOrWhiteSpace(Backend) || string.Equals(Backend, Local, StringComparison.OrdinalIgnoreCase);

    /// <summary>What is wrong with these settings, as sentences an operator can act on (none: fine).</summary>
    public IReadOnlyList<string> Problems()
    {
        if (!IsAzure && !IsLocal)
        {
            return [$"--backend must be {Local} or {Azure}, not '{Backend}'."];
        }

        return IsAzure ? AzureProblems() : LocalProblems();
    }

    private List<string> LocalProblems()
    {
        var named = CloudStoreSettings().Where(s => !string.IsNullOrWhiteSpace(s.Value)).Select(s => s.Key).ToList();
        return named.Count == 0
            ? []
            : [$"The backend is {Local} but the configuration names cloud stores ({string.Join(", ", named)}). "
                + $"Start with --backend {Azure} to use them, or unset them (environment variables with '__', e.g. "
                + $"{named[0].Replace(":", "__", StringComparison.Ordinal)}) to use the local workspace folder."];
    }

    private List<string> AzureProblems()
    {
        var problems = new List<string>();
        if (!TenantId().IsMatch(Tenant.Id))
        {
            problems.Add($"Tenant:Id '{Tenant.Id}' may only hold letters, digits, '-' and '_' (1 to 63 characters).");
        }

        if (IsBlank(Cosmos.ConnectionString) && !IsAbsoluteUri(Cosmos.Endpoint))
        {
            problems.Add("Set Cosmos:ConnectionString or Cosmos:Endpoint (an absolute URL).");
        }

        if (IsBlank(Storage.ConnectionString) && !IsAbsoluteUri(Storage.BlobEndpoint))
        {
            problems.Add("Set Storage:ConnectionString or Storage:BlobEndpoint (an absolute URL).");
        }

        var queueAddressed = !IsBlank(Jobs.ConnectionString) || !IsBlank(Jobs.Namespace)
            || (Jobs.Transport == JobTransport.StorageQueue && !IsBlank(Storage.QueueEndpoint));
        if (!queueAddressed)
        {
            problems.Add(Jobs.Transport == JobTransport.ServiceBus
                ? "Set Jobs:ConnectionString or Jobs:Namespace (the Service Bus namespace)."
                : "Set Jobs:ConnectionString, Jobs:Namespace or Storage:QueueEndpoint (the Storage queue endpoint).");
        }

        return problems.Count == 0
            ? []
            : [$"The backend is {Azure} but its settings are not usable: {string.Join(" ", problems)}"];
    }

    private IEnumerable<KeyValuePair<string, string?>> CloudStoreSettings() =>
    [
        new(CloudStoreKeys[0], Cosmos.ConnectionString), new(CloudStoreKeys[1], Cosmos.Endpoint),
        new(CloudStoreKeys[2], Storage.ConnectionString), new(CloudStoreKeys[3], Storage.BlobEndpoint),
        new(CloudStoreKeys[4], Storage.QueueEndpoint), new(CloudStoreKeys[5], Jobs.ConnectionString),
        new(CloudStoreKeys[6], Jobs.Namespace),
    ];

    private static bool IsBlank(string? value) => string.IsNullOrWhiteSpace(value);

    private static bool IsAbsoluteUri(string? value) => Uri.TryCreate(value, UriKind.Absolute, out _);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,63}$")]
    private static partial Regex TenantId();
}

/// <summary>Runs <see cref="BackendOptions.Problems"/> when the host starts.</summary>
internal sealed class BackendOptionsValidator : IValidateOptions<BackendOptions>
{
    public ValidateOptionsResult Validate(string? name, BackendOptions options) =>
        options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
