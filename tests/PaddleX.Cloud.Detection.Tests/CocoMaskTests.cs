using PaddleX.Cloud.Vision.Detection.Metrics;
using static PaddleX.Cloud.Detection.Tests.CocoFixtures;

namespace PaddleX.Cloud.Detection.Tests;

/// <summary>The COCO mask API against pycocotools: encode/decode, the compressed string both ways, area, box,
/// merge, IoU (crowd and not, masks and boxes), polygon and box rasterisation, uncompressed RLE.</summary>
public sealed class CocoMaskTests
{
    [Fact]
    public void Encode_decode_area_and_bbox_equal_pycocotools()
    {
        foreach (var c in Mask.GetProperty("encode").EnumerateArray())
        {
            int h = c.GetProperty("height").GetInt32(), w = c.GetProperty("width").GetInt32();
            var pixels = c.GetProperty("mask_column_major").EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray();
            var rle = CocoMask.Encode(pixels, h, w);
            var counts = c.GetProperty("counts").GetString()!;
            Assert.Equal(counts, CocoMask.ToCompressedString(rle));
            var parsed = CocoMask.FromCompressedString(counts, h, w);
            Assert.Equal(rle.Counts, parsed.Counts);
            Assert.Equal(pixels, CocoMask.Decode(parsed));
            Assert.Equal(c.GetProperty("area").GetInt64(), parsed.Area);
            Assert.Equal(Doubles(c.GetProperty("bbox")), CocoMask.ToBbox(parsed));
        }

        var big = Mask.GetProperty("big");
        var bigRle = CocoMask.FromCompressedString(big.GetProperty("counts").GetString()!, 300, 400);
        Assert.Equal(big.GetProperty("counts").GetString(), CocoMask.ToCompressedString(bigRle));
        Assert.Equal(big.GetProperty("area").GetInt64(), bigRle.Area);
        Assert.Equal(Doubles(big.GetProperty("bbox")), CocoMask.ToBbox(bigRle));
        Assert.Equal(bigRle.Area, CocoMask.Decode(bigRle).Count(p => p == 1));
    }

    private static List<Rle> EncodedMasks() =>
        Mask.GetProperty("encode").EnumerateArray()
            .Select(c => CocoMask.FromCompressedString(c.GetProperty("counts").GetString()!, c.GetProperty("height").GetInt32(), c.GetProperty("width").GetInt32()))
            .ToList();

    [Fact]
    public void Merge_unites_and_intersects_like_pycocotools()
    {
        var rles = EncodedMasks();
        var merge = Mask.GetProperty("merge");
        Assert.Equal(merge.GetProperty("union").GetString(), CocoMask.ToCompressedString(CocoMask.Merge(rles.Take(3).ToList(), intersect: false)));
        Assert.Equal(merge.GetProperty("intersection").GetString(), CocoMask.ToCompressedString(CocoMask.Merge(rles.Take(3).ToList(), intersect: true)));
        Assert.Equal(merge.GetProperty("union_with_block").GetString(), CocoMask.ToCompressedString(CocoMask.Merge([rles[0], rles[4]], intersect: false)));
        var other = new Rle(2, 2, [4]);
        Assert.Equal(0, CocoMask.Merge([rles[0], other], intersect: false).Height);
    }

    [Fact]
    public void Iou_of_masks_and_boxes_with_crowd_equals_pycocotools()
    {
        var rles = EncodedMasks();
        var c = Mask.GetProperty("iou");
        var dt = c.GetProperty("dt").EnumerateArray().Select(v => rles[v.GetInt32()]).ToList();
        var gt = c.GetProperty("gt").EnumerateArray().Select(v => rles[v.GetInt32()]).ToList();
        var crowd = c.GetProperty("iscrowd").EnumerateArray().Select(v => v.GetInt32() != 0).ToList();
        AssertMatrix(c.GetProperty("iou"), CocoMask.Iou(dt, gt, crowd));

        var b = Mask.GetProperty("box_iou");
        var dtBoxes = b.GetProperty("dt").EnumerateArray().Select(Doubles).ToList();
        var gtBoxes = b.GetProperty("gt").EnumerateArray().Select(Doubles).ToList();
        AssertMatrix(b.GetProperty("iou"), CocoMask.BoxIou(dtBoxes, gtBoxes, b.GetProperty("iscrowd").EnumerateArray().Select(v => v.GetInt32() != 0).ToList()));
    }

    private static void AssertMatrix(System.Text.Json.JsonElement expected, double[,] actual)
    {
        Assert.Equal(expected.GetArrayLength(), actual.GetLength(0));
        for (var i = 0; i < actual.GetLength(0); i++)
        {
            Assert.Equal(expected[i].GetArrayLength(), actual.GetLength(1));
            for (var j = 0; j < actual.GetLength(1); j++)
            {
                Close(expected[i][j].GetDouble(), actual[i, j], $"iou[{i},{j}]");
            }
        }
    }

    [Fact]
    public void Polygons_and_boxes_rasterise_like_pycocotools()
    {
        foreach (var c in Mask.GetProperty("polygons").EnumerateArray())
        {
            int h = c.GetProperty("height").GetInt32(), w = c.GetProperty("width").GetInt32();
            var polygons = c.GetProperty("polygons").EnumerateArray().Select(Doubles).ToList();
            var each = CocoMask.FromPyObjects(polygons, h, w);
            Assert.Equal(c.GetProperty("each").EnumerateArray().Select(v => v.GetString()), each.Select(CocoMask.ToCompressedString));
            var merged = CocoSegmentation.FromPolygons(polygons).ToRle(h, w);
            Assert.Equal(c.GetProperty("merged").GetString(), CocoMask.ToCompressedString(merged));
            Assert.Equal(c.GetProperty("area").GetInt64(), merged.Area);
            Assert.Equal(Doubles(c.GetProperty("bbox")), CocoMask.ToBbox(merged));
        }

        var boxes = Mask.GetProperty("boxes");
        var list = boxes.GetProperty("boxes").EnumerateArray().Select(Doubles).ToList();
        Assert.Equal(
            boxes.GetProperty("counts").EnumerateArray().Select(v => v.GetString()),
            list.Select(box => CocoMask.ToCompressedString(CocoMask.FromBbox(box, 32, 32))));
    }

    [Fact]
    public void Uncompressed_rle_reads_as_pycocotools_compresses_it()
    {
        var c = Mask.GetProperty("uncompressed");
        var segmentation = System.Text.Json.JsonSerializer.Deserialize<CocoSegmentation>(c.GetProperty("rle").GetRawText(), CocoJson.Options)!;
        Assert.NotNull(segmentation.CountList);
        var rle = segmentation.ToRle(5, 4);
        Assert.Equal(c.GetProperty("counts").GetString(), CocoMask.ToCompressedString(rle));
        var compressed = CocoSegmentation.FromRle(rle);
        Assert.Equal([5, 4], compressed.Size!);
        Assert.Equal(rle.Counts, compressed.ToRle(99, 99).Counts);
    }

    [Fact]
    public void Malformed_rle_is_rejected_as_invalid_data()
    {
        Assert.Throws<InvalidDataException>(() => CocoMask.Decode(new Rle(2, 2, [3, 5])));
        Assert.Throws<InvalidDataException>(() => CocoMask.FromCompressedString("0p", 4, 4));
        Assert.Throws<InvalidDataException>(() => new CocoSegmentation { Counts = "02" }.ToRle(2, 2));
    }
}
