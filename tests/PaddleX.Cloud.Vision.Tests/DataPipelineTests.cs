using PaddleX.Cloud.Vision.Data;

namespace PaddleX.Cloud.Vision.Tests;

public class DataPipelineTests : IClassFixture<SyntheticDatasetFixture>
{
    private static readonly double[] Mean = [0.5, 0.5, 0.5];
    private static readonly double[] Std = [0.5, 0.5, 0.5];
    private readonly SyntheticDataset _data;

    public DataPipelineTests(SyntheticDatasetFixture fixture) => _data = fixture.Data;

    private static AugmentOptions AllOn => new()
    {
        HorizontalFlip = true, VerticalFlip = true, VerticalFlipProb = 0.5, Rotate = true,
        Brightness = true, Contrast = true, Saturation = true, Hue = true,
    };

    private BatchLoader Loader(int seed, int workers, AugmentOptions augment)
    {
        ClassificationDataset train = ClassificationDataset.Load(_data.Dir, "train_list.txt");
        var t = new ClassificationTransforms(32, 32, Mean, Std, augment);
        return new BatchLoader(train.Samples, t, 16, shuffle: true, augment: true, dropLast: true, seed: seed, decodeWorkers: workers);
    }

    [Fact]
    public void Reads_labels_and_lists()
    {
        ClassificationDataset train = ClassificationDataset.Load(_data.Dir, "train_list.txt");
        Assert.Equal(SyntheticDataset.Labels, train.Labels);
        Assert.Equal(100, train.Count);
        Assert.Equal(40, ClassificationDataset.Load(_data.Dir, "val_list.txt").Count);
        Assert.Equal(8, ClassificationDataset.TryLoad(_data.Dir, "test_list.txt")!.Count);
        Assert.Null(ClassificationDataset.TryLoad(_data.Dir, "missing_list.txt"));
        Assert.All(train.Samples, s => Assert.True(File.Exists(s.Path)));
        Assert.Equal(25, train.Samples.Count(s => s.Label == 2));
    }

    [Fact]
    public void Malformed_list_line_is_rejected()
    {
        string dir = TempDir.Create();
        try
        {
            File.WriteAllLines(Path.Combine(dir, "labels.txt"), ["a", "b"]);
            File.WriteAllLines(Path.Combine(dir, "train_list.txt"), ["a/1.png 0", "b/2.png"]);
            Assert.Throws<FormatException>(() => ClassificationDataset.Load(dir, "train_list.txt"));
            File.WriteAllLines(Path.Combine(dir, "train_list.txt"), ["a/1.png 2"]);
            Assert.Throws<FormatException>(() => ClassificationDataset.Load(dir, "train_list.txt"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Same_seed_gives_identical_batches_regardless_of_worker_count()
    {
        List<HostBatch> a = Loader(42, 1, AllOn).Epoch(3).ToList();
        List<HostBatch> b = Loader(42, 2, AllOn).Epoch(3).ToList();
        Assert.Equal(6, a.Count);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Labels, b[i].Labels);
            Assert.Equal(a[i].Data, b[i].Data);
        }
    }

    [Fact]
    public void Different_seed_or_epoch_changes_order_and_augmentation()
    {
        HostBatch a = Loader(42, 2, AllOn).Epoch(1).First();
        HostBatch b = Loader(43, 2, AllOn).Epoch(1).First();
        HostBatch c = Loader(42, 2, AllOn).Epoch(2).First();
        Assert.NotEqual(a.Data, b.Data);
        Assert.NotEqual(a.Data, c.Data);
        BatchLoader l = Loader(42, 1, AllOn);
        Assert.Equal(Enumerable.Range(0, 100), l.EpochOrder(5).Order());
        Assert.NotEqual(l.EpochOrder(5), l.EpochOrder(6));
    }

    [Fact]
    public void Normalises_with_mean_and_std_and_switches_flip()
    {
        string path = Path.Combine(_data.Dir, "solid.png");
        using (var bmp = new SkiaSharp.SKBitmap(40, 40))
        {
            for (int y = 0; y < 40; y++)
            {
                for (int x = 0; x < 40; x++)
                {
                    bmp.SetPixel(x, y, x < 20 ? new SkiaSharp.SKColor(255, 0, 51) : new SkiaSharp.SKColor(0, 255, 51));
                }
            }

            using var img = SkiaSharp.SKImage.FromBitmap(bmp);
            using var png = img.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(path, png.ToArray());
        }

        var plain = new ClassificationTransforms(32, 32, [0.0, 0.5, 0.2], [1.0, 0.5, 0.1]);
        var buf = new float[plain.SampleLength];
        plain.Apply(path, new Random(1), buf);
        int plane = 32 * 32;
        Assert.Equal(1f, buf[0], 4);                  // R left = 255 → 1, mean 0, std 1
        Assert.Equal(0f, buf[31], 4);                 // R right = 0
        Assert.Equal(-1f, buf[plane], 4);             // G left = 0 → (0 − 0.5)/0.5
        Assert.Equal(1f, buf[plane + 31], 4);         // G right = 1 → 1
        Assert.Equal(0f, buf[2 * plane + 5], 3);      // B = 0.2 → 0

        var flip = new ClassificationTransforms(32, 32, [0.0, 0.5, 0.2], [1.0, 0.5, 0.1],
            new AugmentOptions { HorizontalFlip = true, HorizontalFlipProb = 1.0 });
        var flipped = new float[flip.SampleLength];
        flip.Apply(path, new Random(1), flipped);
        Assert.Equal(0f, flipped[0], 4);
        Assert.Equal(1f, flipped[31], 4);

        // Switched off ⇒ probability 0 even when the prob is 1.
        var off = new ClassificationTransforms(32, 32, [0.0, 0.5, 0.2], [1.0, 0.5, 0.1],
            new AugmentOptions { HorizontalFlip = false, HorizontalFlipProb = 1.0, Brightness = false, BrightnessProb = 1.0 });
        var same = new float[off.SampleLength];
        off.Apply(path, new Random(1), same);
        Assert.Equal(buf, same);

        // Brightness factor in [1 − range, 1 + range]: range 0.5 keeps a 255 pixel ≥ 127.
        var bright = new ClassificationTransforms(32, 32, [0.0, 0.0, 0.0], [1.0, 1.0, 1.0],
            new AugmentOptions { Brightness = true, BrightnessProb = 1.0, BrightnessRange = 0.5 });
        var bb = new float[bright.SampleLength];
        for (int seed = 0; seed < 5; seed++)
        {
            bright.Apply(path, new Random(seed), bb);
            Assert.InRange(bb[0], 0.499f, 1f);
            Assert.Equal(0f, bb[31]);
        }
    }

    [Fact]
    public void Decoding_failure_surfaces_from_the_producer()
    {
        string dir = TempDir.Create();
        try
        {
            File.WriteAllText(Path.Combine(dir, "broken.png"), "not an image");
            var t = new ClassificationTransforms(32, 32, Mean, Std);
            var loader = new BatchLoader([new ClassificationSample(Path.Combine(dir, "broken.png"), 0)], t, 1, false, false, false, 1);
            Assert.Throws<InvalidDataException>(() => loader.Epoch(1).ToList());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
