using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Worker.Jobs;
using SkiaSharp;

namespace PaddleX.Cloud.Worker.Tests;

/// <summary>The predict pictures of detection and instance segmentation drawn from hand-made detections: masks
/// blended in their class colour under the boxes, ground truth in a second panel.</summary>
public sealed class DetectionRendererTests
{
    private const int Title = 24; // the caption band above the panels
    private static readonly string[] Names = ["circle", "square"];

    [Fact]
    public void Masks_are_blended_in_the_class_colour_and_the_ground_truth_is_drawn_beside()
    {
        using var picture = Grey(40, 30);
        // Predicted "circle" covers the left half, ground truth "square" the right half.
        var left = Mask(40, 30, (x, _) => x < 20);
        var right = Mask(40, 30, (x, _) => x >= 20);
        var png = DetectionRenderer.Render(
            picture,
            [new BoxDetection(0, 0.9f, 0, 0, 20, 30)],
            Names,
            [new BoxDetection(1, float.NaN, 20, 0, 40, 30)],
            masks: [left],
            truthMasks: [right]);

        using var drawn = SKBitmap.Decode(png);
        Assert.Equal((800, 300 + Title), (drawn.Width, drawn.Height)); // long side 400 px per panel, two panels

        // Class 0 is palette colour 1 (dark red): a masked pixel turns red, an unmasked one stays grey.
        var masked = drawn.GetPixel(100, Title + 150);
        Assert.True(masked.Red > masked.Green + 40 && masked.Green == masked.Blue, $"masked pixel {masked}");
        AssertGrey(drawn.GetPixel(300, Title + 150));

        // The ground-truth panel: class 1 (dark green) on the right half only.
        AssertGrey(drawn.GetPixel(400 + 100, Title + 150));
        var truth = drawn.GetPixel(400 + 300, Title + 150);
        Assert.True(truth.Green > truth.Red + 40 && truth.Red == truth.Blue, $"ground-truth pixel {truth}");
    }

    [Fact]
    public void The_best_scoring_mask_lies_on_top_and_boxes_without_masks_draw_no_mask()
    {
        using var picture = Grey(40, 40);
        var everywhere = Mask(40, 40, (_, _) => true);
        var png = DetectionRenderer.Render(
            picture,
            [new BoxDetection(1, 0.9f, 10, 10, 30, 30), new BoxDetection(0, 0.4f, 0, 0, 40, 40)],
            Names,
            truth: null,
            masks: [everywhere, everywhere]);
        using var drawn = SKBitmap.Decode(png);
        Assert.Equal(400, drawn.Width);
        var top = drawn.GetPixel(200, Title + 200);
        Assert.True(top.Green > top.Red + 40, $"the 0.9 'square' mask should cover the 0.4 'circle' one: {top}");

        // Wrong-sized and missing masks are skipped; the boxes are still drawn.
        var none = DetectionRenderer.Render(picture, [new BoxDetection(0, 0.9f, 0, 0, 40, 40), new BoxDetection(1, 0.8f, 0, 0, 40, 40)], Names, null, [Mask(8, 8, (_, _) => true), null]);
        using var plain = SKBitmap.Decode(none);
        AssertGrey(plain.GetPixel(200, Title + 200));
        Assert.NotEqual(plain.GetPixel(200, Title + 200), plain.GetPixel(0, Title + 200)); // the box outline
    }

    [Fact]
    public void Ground_truth_outlines_rasterise_and_round_trip_through_coco_run_lengths()
    {
        var square = new DetectionObject(2, 3, 12, 9, 0, 60, Polygons: [new float[] { 2, 3, 12, 3, 12, 9, 2, 9 }]);
        var mask = PictureMask.Of(square, 16, 12)!;
        Assert.Equal((16, 12), (mask.Width, mask.Height));
        Assert.Equal(1, mask.Pixels[(5 * 16) + 6]);
        Assert.Equal(0, mask.Pixels[(1 * 16) + 1]);
        Assert.InRange(mask.Area, 50, 90); // pycocotools' rasterisation includes part of the outline

        var rle = mask.ToRle();
        Assert.Equal(mask.Area, rle.Area);
        Assert.Equal(mask.Pixels, PictureMask.FromRle(rle).Pixels);

        var fromRle = new DetectionObject(0, 0, 16, 12, 0, rle.Area, Crowd: true, Rle: System.Text.Json.Nodes.JsonNode.Parse(
            System.Text.Json.JsonSerializer.Serialize(PaddleX.Cloud.Vision.Detection.Metrics.CocoSegmentation.FromRle(rle))));
        Assert.Equal(mask.Pixels, PictureMask.Of(fromRle, 16, 12)!.Pixels);
        Assert.Null(PictureMask.Of(new DetectionObject(0, 0, 4, 4, 0, 16), 16, 12));
    }

    private static SKBitmap Grey(int width, int height)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(new SKColor(100, 100, 100));
        return bitmap;
    }

    private static PictureMask Mask(int width, int height, Func<int, int, bool> inside)
    {
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                pixels[(y * width) + x] = inside(x, y) ? (byte)1 : (byte)0;
            }
        }

        return new PictureMask(width, height, pixels);
    }

    private static void AssertGrey(SKColor c) =>
        Assert.True(Math.Abs(c.Red - 100) <= 2 && Math.Abs(c.Green - 100) <= 2 && Math.Abs(c.Blue - 100) <= 2, $"expected the grey picture, got {c}");
}
