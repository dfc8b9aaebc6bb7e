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

    public DatasetCheckException()
    {
    }
}
