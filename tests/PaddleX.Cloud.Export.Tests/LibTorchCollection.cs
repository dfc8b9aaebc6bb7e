namespace PaddleX.Cloud.Export.Tests;

/// <summary>Test classes that build models run one after another: weight initialisation draws from libtorch's
/// global random generator, which a class running in parallel would advance between the seed and the draws.</summary>
[CollectionDefinition(Name)]
public sealed class LibTorchCollection
{
    public const string Name = "libtorch";
}
