namespace PaddleX.Cloud.Datasets;

/// <summary>The source is not a valid dataset of its type; the message is shown to the user.</summary>
public sealed class DatasetCheckException : Exception
{
    public DatasetCheckException(string message)
        : base(message)
    {
    }

    public DatasetCheckException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public DatasetCheckException(string message, string code)
        : base(message)
    {
        Code = code;
    }

    public DatasetCheckException()
    {
    }

    /// <summary>A machine-readable word for the few failures an API answer distinguishes (unsafe or oversize archives).</summary>
    public string? Code { get; }

    public const string ArchiveUnsafe = "path_not_allowed";

    public const string ArchiveTooLarge = "archive_too_large";
}
