using System.Text.Json;
using PaddleX.Cloud.Vision.Models;
using PaddleX.Cloud.Vision.Models.Classification;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>Named pretrained weights: torchvision files map onto the engine's models, and a name resolves through
/// the workspace pretrain folder, then the catalog, then the built-in ImageNet ResNet18 — never the working directory.</summary>
public class PretrainedCatalogTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "torchvision");

    public static TheoryData<string> AllModels() => new(ClassificationModels.Names);

    public static TheoryData<string> PthFiles() => new("ResNet18", "MobileNetV2", "MobileNetV3_small");

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Torchvision_state_dict_names_and_shapes_are_the_engine_models(string model)
    {
        using JsonDocument keys = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "keys.json")));
        var expected = keys.RootElement.GetProperty(model).EnumerateArray()
            .ToDictionary(e => e[0].GetString()!, e => string.Join(",", e[1].EnumerateArray().Select(d => d.GetInt64())));
        using var m = ClassificationModels.Create(model, 1000);
        var actual = m.state_dict().ToDictionary(kv => kv.Key, kv => string.Join(",", kv.Value.shape));
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), actual.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(PthFiles))]
    public void A_pth_written_by_pytorch_loads_from_the_catalog_with_its_values(string model)
    {
        string catalog = TempDir.Create("pdx-catalog-");
        try
        {
            Directory.CreateDirectory(Path.Combine(catalog, "IMAGENET"));
            File.Copy(Path.Combine(Fixtures, model + ".pth"), Path.Combine(catalog, "IMAGENET", model + ".pth"));
            using JsonDocument sums = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "sums.json")));
            var expected = sums.RootElement.GetProperty(model).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());

            using var m = ClassificationModels.Create(model, 3);
            PretrainResult r = PretrainedWeights.Apply(m, model, "IMAGENET", weightsDir: null, catalogDir: catalog);
            Assert.True(r.Loaded, r.Status);
            Assert.Equal(expected.Count, r.LoadedTensors);
            Assert.Contains(PretrainedWeights.Found, r.Status, StringComparison.Ordinal);
            var state = m.state_dict();
            foreach (var (name, sum) in expected)
            {
                double actual = state[name].to_type(ScalarType.Float64).sum().item<double>();
                Assert.True(Math.Abs(actual - sum) <= 1e-4 * Math.Max(1, Math.Abs(sum)), $"{name}: sum {actual} vs {sum}");
            }
        }
        finally
        {
            Directory.Delete(catalog, true);
        }
    }

    [Fact]
    public void The_built_in_import_is_converted_once_per_machine_not_once_per_workspace()
    {
        string first = TempDir.Create("pdx-pretrain-"), second = TempDir.Create("pdx-pretrain-"), third = TempDir.Create("pdx-pretrain-");
        try
        {
            // The first call converts unless this machine already did; from then on nothing converts.
            string made = BuiltInWeights.Materialize("ResNet18", "IMAGENET", first)!;
            int conversions = BuiltInWeights.Conversions;
            string again = BuiltInWeights.Materialize("ResNet18", "IMAGENET", second)!;
            BuiltInWeights.Materialize("ResNet18", "IMAGENET", third);
            Assert.Equal(conversions, BuiltInWeights.Conversions);
            Assert.Equal(Path.Combine(second, "IMAGENET", "ResNet18.dat"), again);
            Assert.Equal(File.ReadAllBytes(made), File.ReadAllBytes(again));
        }
        finally
        {
            foreach (var dir in new[] { first, second, third })
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [Fact]
    public void A_name_resolves_in_the_workspace_then_the_catalog_then_the_built_in_import()
    {
        string workspace = TempDir.Create("pdx-pretrain-"), catalog = TempDir.Create("pdx-catalog-");
        try
        {
            string own = Path.Combine(workspace, "ResNet18_IMAGENET.dat");
            string placed = Path.Combine(catalog, "IMAGENET", "ResNet18.dat");
            Directory.CreateDirectory(Path.GetDirectoryName(placed)!);
            using (var a = ClassificationModels.Create("ResNet18", 5))
            {
                a.save(own);
                a.save(placed);
            }

            Assert.Equal(own, PretrainedWeights.Resolve("ResNet18", "IMAGENET", workspace, catalog));
            File.Delete(own);
            Assert.Equal(placed, PretrainedWeights.Resolve("ResNet18", "IMAGENET", workspace, catalog));
            Assert.Null(PretrainedWeights.Resolve("ResNet34", "IMAGENET", workspace, catalog));

            // A checkpoint folder placed as a set: {SET}/{Model}/model.dat.
            string checkpoint = Path.Combine(catalog, "COCO", "ResNet34");
            Directory.CreateDirectory(checkpoint);
            using (var b = ClassificationModels.Create("ResNet34", 5))
            {
                b.save(Path.Combine(checkpoint, "model.dat"));
            }

            Assert.Equal(Path.Combine(checkpoint, "model.dat"), PretrainedWeights.Resolve("ResNet34", "COCO", workspace, catalog));
            Assert.Equal(["COCO"], PretrainedWeights.AvailableSets("ResNet34", workspace, catalog));
            Assert.Empty(PretrainedWeights.AvailableSets("ResNet50", workspace, catalog));
            Directory.Delete(Path.Combine(catalog, "IMAGENET"), true);

            // Built in: converted once into the workspace pretrain folder, then found there.
            string? converted = PretrainedWeights.Resolve("ResNet18", "IMAGENET", workspace, catalog);
            Assert.Equal(Path.Combine(workspace, "IMAGENET", "ResNet18.dat"), converted);
            DateTime written = File.GetLastWriteTimeUtc(converted!);
            Assert.Equal(ClassificationModels.CntkLayout, PretrainedWeights.LayoutFor("ResNet18", "IMAGENET", workspace, catalog));
            using var model = ClassificationModels.Create("ResNet18", 4, ClassificationModels.CntkLayout);
            PretrainResult r = PretrainedWeights.Apply(model, "ResNet18", "IMAGENET", workspace, catalog);
            Assert.True(r.Loaded, r.Status);
            Assert.Equal(File.GetLastWriteTimeUtc(converted!), written);
            Assert.Equal(["fc.bias", "fc.weight"], r.Skipped.Where(s => !s.Contains("num_batches_tracked", StringComparison.Ordinal)).Select(s => s.Split(' ')[0]).Order());
            Assert.Contains(PretrainedWeights.Found, r.Status, StringComparison.Ordinal);
            Assert.Equal(["IMAGENET"], PretrainedWeights.AvailableSets("ResNet18", workspace, catalog));
        }
        finally
        {
            Directory.Delete(workspace, true);
            Directory.Delete(catalog, true);
        }
    }

    [Fact]
    public void Names_and_relative_paths_never_resolve_against_the_working_directory()
    {
        string cwd = Directory.GetCurrentDirectory();
        string inCwd = Path.Combine(cwd, $"pdx-cwd-{Guid.NewGuid():N}.dat");
        using var model = ClassificationModels.Create("ResNet34", 3);
        model.save(inCwd);
        try
        {
            foreach (string name in new[] { Path.GetFileName(inCwd), "./" + Path.GetFileName(inCwd), "PaddleX.Cloud.Vision.dll", ".", ".." })
            {
                PretrainResult r = PretrainedWeights.Apply(model, "ResNet34", name, weightsDir: null);
                Assert.False(r.Loaded, $"'{name}' was loaded from {r.Source}");
                Assert.Contains(PretrainedWeights.NotFound, r.Status, StringComparison.Ordinal);
            }

            Assert.True(PretrainedWeights.Apply(model, "ResNet34", inCwd, weightsDir: null).Loaded); // an absolute path does load
        }
        finally
        {
            File.Delete(inCwd);
        }
    }
}
