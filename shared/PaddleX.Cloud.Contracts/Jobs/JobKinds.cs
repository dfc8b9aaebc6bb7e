namespace PaddleX.Cloud.Contracts.Jobs;

/// <summary>The kinds of long operation a job message can name.</summary>
public static class JobKinds
{
    public const string Import = "import";
    public const string Train = "train";
    public const string Evaluate = "evaluate";
    public const string Predict = "predict";
    public const string Export = "export";
    public const string Prune = "prune";
    public const string Demo = "demo";
}
