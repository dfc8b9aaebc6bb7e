using PaddleX.Cloud.Vision.Detection.Data;

namespace PaddleX.Cloud.Detection.Tests;

/// <summary>Every transform on pictures of solid boxes: after it, the pixels inside each moved box still have the
/// box's colour, the pixels just outside do not, and outlines cover the same pixels as their boxes.</summary>
public class DetectionAugmentTests
{
    private static readonly float[] Grey = [100, 100, 100];
    private static readonly float[][] Colours = [[250, 20, 20], [20, 230, 30], [30, 40, 240]];

    /// <summary>A grey picture with solid rectangles of colour Colours[label]; each object's outline is its rectangle.</summary>
    internal static DetectionItem Solid(int width, int height, params (int X1, int Y1, int X2, int Y2, int Label)[] boxes)
    {
        var image = PlanarImage.Filled(width, height, Grey);
        foreach (var b in boxes)
        {
            for (int c = 0; c < 3; c++)
            {
                for (int y = b.Y1; y < b.Y2; y++)
                {
                    for (int x = b.X1; x < b.X2; x++)
                    {
                        image[c, y, x] = Colours[b.Label][c];
                    }
                }
            }
        }

        return new DetectionItem(
            image,
            boxes.SelectMany(b => new float[] { b.X1, b.Y1, b.X2, b.Y2 }).ToArray(),
            boxes.Select(b => b.Label).ToArray(),
            polygons: boxes.Select(b => (IReadOnlyList<float[]>?)[new float[] { b.X1, b.Y1, b.X2, b.Y1, b.X2, b.Y2, b.X1, b.Y2 }]).ToArray());
    }

    private static DetectionItem Scene() => Solid(96, 64, (10, 8, 40, 30, 0), (55, 20, 90, 60, 1), (20, 40, 34, 58, 2));

    /// <summary>Inside every box (shrunk by <paramref name="margin"/>) the object's colour; a ring just outside is not it;
    /// the rasterised outline covers the object's colour.</summary>
    internal static void AssertBoxesOnObjects(DetectionItem item, int margin = 2, float tolerance = 12)
    {
        PlanarImage img = item.Image;
        for (int i = 0; i < item.Count; i++)
        {
            float[] colour = Colours[item.Labels[i]];
            int x1 = (int)Math.Ceiling(item.Boxes[4 * i]), y1 = (int)Math.Ceiling(item.Boxes[(4 * i) + 1]);
            int x2 = (int)Math.Floor(item.Boxes[(4 * i) + 2]), y2 = (int)Math.Floor(item.Boxes[(4 * i) + 3]);
            Assert.True(x2 - x1 > 2 * margin && y2 - y1 > 2 * margin, $"box {i} collapsed: {x1},{y1},{x2},{y2}");
            for (int y = y1 + margin; y < y2 - margin; y++)
            {
                for (int x = x1 + margin; x < x2 - margin; x++)
                {
                    Assert.True(Near(img, x, y, colour, tolerance), $"object {i} pixel ({x},{y}) is not its colour");
                }
            }

            foreach (var (x, y) in Ring(x1 - margin - 1, y1 - margin - 1, x2 + margin, y2 + margin))
            {
                if (x >= 0 && y >= 0 && x < img.Width && y < img.Height)
                {
                    Assert.False(Near(img, x, y, colour, tolerance), $"object {i} colour found outside its box at ({x},{y})");
                }
            }

            if (item.Polygons?[i] is { } polygons)
            {
                var mask = new byte[img.Width * img.Height];
                PolygonClip_Fill(polygons, img.Width, img.Height, mask);
                int inside = 0, covered = 0;
                for (int y = y1 + margin; y < y2 - margin; y++)
                {
                    for (int x = x1 + margin; x < x2 - margin; x++)
                    {
                        inside++;
                        covered += mask[(y * img.Width) + x];
                    }
                }

                Assert.Equal(inside, covered);
            }
        }
    }

    private static void PolygonClip_Fill(IReadOnlyList<float[]> polygons, int w, int h, byte[] mask) => PolygonClip.Fill(polygons, w, h, mask);

    private static IEnumerable<(int X, int Y)> Ring(int x1, int y1, int x2, int y2)
    {
        for (int x = x1; x <= x2; x++)
        {
            yield return (x, y1);
            yield return (x, y2);
        }

        for (int y = y1; y <= y2; y++)
        {
            yield return (x1, y);
            yield return (x2, y);
        }
    }

    private static bool Near(PlanarImage img, int x, int y, float[] colour, float tolerance) =>
        Enumerable.Range(0, 3).All(c => Math.Abs(img[c, y, x] - colour[c]) <= tolerance);

    [Fact]
    public void Flip_mirrors_boxes_and_outlines()
    {
        DetectionItem item = Scene();
        DetectionAugment.FlipHorizontal(item);
        Assert.Equal([96 - 40, 8, 96 - 10, 30], item.Boxes[..4]);
        AssertBoxesOnObjects(item, margin: 0, tolerance: 0);
    }

    [Theory]
    [InlineData(Interpolation.Nearest, 150, 100)]
    [InlineData(Interpolation.Linear, 64, 64)]
    [InlineData(Interpolation.Cubic, 200, 130)]
    [InlineData(Interpolation.Area, 48, 40)]
    public void Resize_scales_boxes_with_the_picture(Interpolation interpolation, int width, int height)
    {
        DetectionItem item = Scene();
        DetectionAugment.Resize(item, width, height, interpolation);
        Assert.Equal((width, height), (item.Image.Width, item.Image.Height));
        Assert.Equal((width / 96f, height / 64f), (item.ScaleX, item.ScaleY));
        Assert.Equal(10 * width / 96f, item.Boxes[0], 4);
        AssertBoxesOnObjects(item, margin: 2, tolerance: interpolation == Interpolation.Nearest ? 0 : 30);
    }

    [Fact]
    public void Resize_by_short_side_keeps_the_aspect_and_caps_the_long_side()
    {
        Assert.Equal((150, 100), DetectionAugment.ShortSideSize(96, 64, 100, 200));
        Assert.Equal((200, 133), DetectionAugment.ShortSideSize(96, 64, 150, 200));
        DetectionItem item = Scene();
        DetectionAugment.ResizeByShort(item, 128, 1333, Interpolation.Linear);
        Assert.Equal((192, 128), (item.Image.Width, item.Image.Height));
        AssertBoxesOnObjects(item, margin: 2, tolerance: 30);
    }

    [Fact]
    public void Expand_places_the_picture_on_a_mean_coloured_canvas()
    {
        float[] fill = [123, 116, 103];
        int expanded = 0;
        for (int seed = 0; seed < 10; seed++)
        {
            DetectionItem item = Scene();
            DetectionAugment.Expand(item, new Random(seed), fill);
            if (item.Image.Width == 96)
            {
                continue;
            }

            expanded++;
            Assert.InRange(item.Image.Width, 97, 96 * 4);
            Assert.Equal(item.Image.Width / 96.0, item.Image.Height / 64.0, 1);
            int dx = (int)item.Boxes[0] - 10, dy = (int)item.Boxes[1] - 8;
            Assert.Equal([10 + dx, 8 + dy, 40 + dx, 30 + dy], item.Boxes[..4]);
            AssertBoxesOnObjects(item, margin: 0, tolerance: 0);
            Assert.Equal(fill, new[] { item.Image[0, item.Image.Height - 1, item.Image.Width - 1], item.Image[1, item.Image.Height - 1, item.Image.Width - 1], item.Image[2, item.Image.Height - 1, item.Image.Width - 1] });
        }

        Assert.True(expanded >= 8, $"only {expanded} of 10 expanded");
    }

    [Fact]
    public void Crop_keeps_boxes_whose_centre_stays_and_clips_them_and_their_outlines()
    {
        int cropped = 0, dropped = 0;
        for (int seed = 0; seed < 40; seed++)
        {
            DetectionItem item = Scene();
            float[] before = (float[])item.Boxes.Clone();
            var window = DetectionAugment.Crop(item, new Random(seed));
            if (window is not { } c)
            {
                Assert.Equal(before, item.Boxes);
                continue;
            }

            cropped++;
            Assert.Equal((c.X2 - c.X1, c.Y2 - c.Y1), (item.Image.Width, item.Image.Height));
            Assert.InRange(item.Count, 1, 3);
            dropped += 3 - item.Count;
            for (int i = 0; i < item.Count; i++)
            {
                Assert.InRange(item.Boxes[4 * i], 0, item.Image.Width);
                Assert.InRange(item.Boxes[(4 * i) + 2], 0, item.Image.Width);
            }

            // Clipped boxes may be thin: check the ones big enough to have an inside.
            var big = Enumerable.Range(0, item.Count).Where(i => item.Boxes[(4 * i) + 2] - item.Boxes[4 * i] > 6 && item.Boxes[(4 * i) + 3] - item.Boxes[(4 * i) + 1] > 6).ToList();
            var probe = new DetectionItem(item.Image, big.SelectMany(i => item.Boxes[(4 * i)..((4 * i) + 4)]).ToArray(), big.Select(i => item.Labels[i]).ToArray(), polygons: big.Select(i => item.Polygons![i]).ToArray());
            AssertBoxesOnObjects(probe, margin: 1, tolerance: 0);
        }

        Assert.True(cropped >= 20, $"only {cropped} of 40 cropped");
        Assert.True(dropped > 0, "no crop ever dropped an object whose centre left the window");
    }

    [Fact]
    public void Mixup_blends_pictures_and_weights_each_box_by_its_share()
    {
        DetectionItem a = Solid(80, 60, (5, 5, 30, 30, 0));
        DetectionItem b = Solid(100, 40, (50, 10, 90, 35, 2));
        DetectionItem m = DetectionAugment.Mixup(a, b, 0.7f);
        Assert.Equal((100, 60), (m.Image.Width, m.Image.Height));
        Assert.Equal([0, 2], m.Labels);
        Assert.Equal([0.7f, 0.3f], m.Weights);
        Assert.Equal([5, 5, 30, 30, 50, 10, 90, 35], m.Boxes);
        Assert.Equal((0.7f * 250) + (0.3f * 100), m.Image[0, 10, 10], 3);
        Assert.Equal((0.7f * 100) + (0.3f * 30), m.Image[0, 20, 60], 3);
        Assert.Equal(0.7f * 100, m.Image[0, 50, 10], 3);
        Assert.Equal(0, m.Image[0, 50, 95]);
        DetectionItem first = Solid(8, 8, (1, 1, 4, 4, 1)), second = Solid(8, 8);
        Assert.Same(first, DetectionAugment.Mixup(first, second, 1f));
        Assert.Same(second, DetectionAugment.Mixup(first, second, 0f));
    }

    [Fact]
    public void Beta_draws_have_the_distribution_mean()
    {
        var rng = new Random(3);
        double mean = Enumerable.Range(0, 4000).Select(_ => DetectionAugment.Beta(rng, 1.5, 1.5)).Average();
        Assert.InRange(mean, 0.48, 0.52);
        double skewed = Enumerable.Range(0, 4000).Select(_ => DetectionAugment.Beta(rng, 2, 6)).Average();
        Assert.InRange(skewed, 0.23, 0.27);
    }

    [Fact]
    public void Distortion_changes_colours_but_not_boxes()
    {
        DetectionItem item = Scene();
        float[] boxes = (float[])item.Boxes.Clone();
        float[] pixels = (float[])item.Image.Data.Clone();
        DetectionAugment.Distort(item, new DistortOptions(0.5, 1, 0.5, 1, 0.5, 1, 18, 1), new Random(1));
        Assert.Equal(boxes, item.Boxes);
        Assert.NotEqual(pixels, item.Image.Data);
        Assert.All(item.Image.Data, v => Assert.InRange(v, 0, 255));
    }
}
