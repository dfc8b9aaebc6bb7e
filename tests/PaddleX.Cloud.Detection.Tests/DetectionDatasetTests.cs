using System.Text.Json.Nodes;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Datasets.Formats;
using PaddleX.Cloud.Vision.Detection.Data;

namespace PaddleX.Cloud.Detection.Tests;

public class DetectionDatasetTests
{
    private static readonly ShapeDetectionOptions Small = new() { Count = 20, MinSide = 64, MaxSide = 96, Seed = 5 };

    [Fact]
    public void Voc_split_reads_every_picture_with_the_boxes_of_its_annotation()
    {
        var (source, dir) = DetectionShapes.Prepare(Small);
        var train = DetectionDataset.Load(dir, "train");
        var val = DetectionDataset.Load(dir, "val");
        var test = DetectionDataset.Load(dir, "test");
        Assert.Equal((14, 4, 2), (train.Count, val.Count, test.Count));
        Assert.False(train.IsCoco);
        Assert.Equal(["circle", "square", "triangle"], train.Labels);
        Assert.Equal(20, train.Samples.Concat(val.Samples).Concat(test.Samples).Select(s => s.FileName).Distinct().Count());
        foreach (DetectionSample s in train.Samples.Concat(val.Samples))
        {
            var voc = VocAnnotation.TryRead(Path.Combine(source, "Annotations", Path.ChangeExtension(s.FileName, ".xml")))!;
            Assert.Equal((voc.Width, voc.Height), (s.Width, s.Height));
            Assert.True(File.Exists(s.ImagePath));
            Assert.Equal(voc.Objects.Count, s.Objects.Count);
            Assert.InRange(s.Objects.Count, 1, 4);
            for (int i = 0; i < voc.Objects.Count; i++)
            {
                VocObject o = voc.Objects[i];
                DetectionObject d = s.Objects[i];
                Assert.Equal(o.Name, train.Labels[d.Label]);
                Assert.Equal([o.XMin, o.YMin, o.XMax, o.YMax], new double[] { d.X1, d.Y1, d.X2, d.Y2 });
                Assert.False(d.Crowd);
                Assert.Null(d.Polygons);
            }
        }

        // Image ids are the line numbers of the list: distinct within a split.
        Assert.Equal(Enumerable.Range(0, 4).Select(i => (long)i), val.Samples.Select(s => s.ImageId));
    }

    [Fact]
    public void Voc_ground_truth_is_a_coco_dict_with_one_based_categories_and_difficult_ignored()
    {
        string dir = TempFolders.Create("pdx-det-voc");
        Directory.CreateDirectory(Path.Combine(dir, "Annotations"));
        Directory.CreateDirectory(Path.Combine(dir, "JPEGImages"));
        File.WriteAllLines(Path.Combine(dir, "labels.txt"), ["cat", "dog"]);
        var objects = new List<VocObject> { new("dog", 2, 3, 12, 20), new("cat", -4, 5, 70, 9, Difficult: true), new("dog", 5, 5, 5, 9) };
        using (var f = File.Create(Path.Combine(dir, "Annotations", "a.xml")))
        {
            new VocAnnotation(64, 48, objects).Write(f, "a.jpg");
        }

        File.WriteAllLines(Path.Combine(dir, "val_list.txt"), ["JPEGImages/a.jpg Annotations/a.xml"]);
        var val = DetectionDataset.Load(dir, "val");
        DetectionSample s = Assert.Single(val.Samples);

        // Boxes are clipped to the picture; an empty box (x1 = x2) is dropped.
        Assert.Equal(2, s.Objects.Count);
        Assert.Equal((0f, 5f, 64f, 9f), (s.Objects[1].X1, s.Objects[1].Y1, s.Objects[1].X2, s.Objects[1].Y2));
        JsonObject gt = val.ToCocoGroundTruth();
        Assert.Equal("""[{"id":1,"name":"cat","supercategory":"component"},{"id":2,"name":"dog","supercategory":"component"}]""", gt["categories"]!.ToJsonString());
        Assert.Equal("""[{"id":0,"file_name":"a.jpg","width":64,"height":48}]""", gt["images"]!.ToJsonString());
        var anns = gt["annotations"]!.AsArray();
        Assert.Equal("""{"id":1,"image_id":0,"category_id":2,"bbox":[2,3,10,17],"area":170,"iscrowd":0,"ignore":0,"difficult":0}""", anns[0]!.ToJsonString());
        Assert.Equal("""{"id":2,"image_id":0,"category_id":1,"bbox":[0,5,64,4],"area":256,"iscrowd":0,"ignore":1,"difficult":1}""", anns[1]!.ToJsonString());
    }

    [Fact]
    public void Coco_import_keeps_coco_annotations_and_counts_as_coco()
    {
        var (source, dir) = DetectionShapes.Prepare(Small with { Coco = true, Polygons = true });
        var val = DetectionDataset.Load(dir, "val");
        Assert.True(val.IsCoco);
        Assert.True(val.HasOutlines);
        var coco = CocoFile.Load(Path.Combine(source, CocoFormat.AnnotationsFile));
        foreach (DetectionSample s in val.Samples)
        {
            CocoImage image = coco.Images.Single(i => i.FileName == s.FileName);
            Assert.Equal(image.Id, s.ImageId);
            var instances = coco.InstancesByImage[image.Id];
            Assert.Equal(instances.Select(i => (i.X1, i.Y1, i.X2, i.Y2)), s.Objects.Select(o => ((double)o.X1, (double)o.Y1, (double)o.X2, (double)o.Y2)));
            Assert.Equal(instances.Select(i => coco.CategoryName(i.CategoryId)), s.Objects.Select(o => val.Labels[o.Label]));
            Assert.All(s.Objects, o => Assert.NotNull(o.Polygons));
        }
    }

    [Fact]
    public void Crowd_regions_reach_the_ground_truth_but_not_the_training_targets()
    {
        // A crowd region (RLE, as COCO writes them) added to every picture of a COCO detection source before the import.
        string source = ShapeDetectionGenerator.Write(TempFolders.Create("pdx-det-crowd"), Small with { Coco = true, Count = 10 });
        string annotationsFile = Path.Combine(source, CocoFormat.AnnotationsFile);
        var json = JsonNode.Parse(File.ReadAllText(annotationsFile))!.AsObject();
        foreach (var image in json["images"]!.AsArray())
        {
            json["annotations"]!.AsArray().Add(new JsonObject
            {
                ["id"] = 1000 + (int)image!["id"]!, ["image_id"] = (int)image["id"]!, ["category_id"] = 2, ["iscrowd"] = 1,
                ["bbox"] = new JsonArray(1, 1, 4, 4), ["area"] = 16,
                ["segmentation"] = new JsonObject { ["size"] = new JsonArray((int)image["height"]!, (int)image["width"]!), ["counts"] = new JsonArray(10, 4) },
            });
        }

        File.WriteAllText(annotationsFile, json.ToJsonString());
        var (_, dir) = DetectionShapes.Prepare(source);
        var val = DetectionDataset.Load(dir, "val");
        DetectionSample s = val.Samples[0];
        DetectionObject crowd = Assert.Single(s.Objects, o => o.Crowd);
        Assert.Equal((1f, 1f, 5f, 5f, 1, 16.0), (crowd.X1, crowd.Y1, crowd.X2, crowd.Y2, crowd.Label, crowd.Area));
        Assert.NotNull(crowd.Rle);
        Assert.Equal(s.Objects.Count - 1, DetectionItem.From(s, PlanarImage.Filled(s.Width, s.Height, [0, 0, 0])).Count);
        var gt = val.ToCocoGroundTruth()["annotations"]!.AsArray().Where(a => (long)a!["image_id"]! == s.ImageId).ToList();
        Assert.Equal(s.Objects.Count, gt.Count);
        var crowdGt = Assert.Single(gt, a => (int)a!["iscrowd"]! == 1)!;
        Assert.Equal("""{"size":[""" + s.Height + "," + s.Width + """],"counts":[10,4]}""", crowdGt["segmentation"]!.ToJsonString());
    }

    [Fact]
    public void Instance_segmentation_split_json_round_trips_through_the_ground_truth_dict()
    {
        var (_, dir) = DetectionShapes.Prepare(Small with { Coco = true, Polygons = true }, type: "instance_segmentation");
        Assert.False(File.Exists(Path.Combine(dir, "val_list.txt")));
        var val = DetectionDataset.Load(dir, "val");
        Assert.True(val.IsCoco);
        Assert.Equal(4, val.Count);

        // The gt dict, written as another split's COCO file, reads back as the same samples.
        File.WriteAllText(Path.Combine(dir, "again.json"), val.ToCocoGroundTruth().ToJsonString());
        var again = DetectionDataset.Load(dir, "again");
        Assert.Equal(val.Labels, again.Labels);
        Assert.Equal(val.Samples.Count, again.Samples.Count);
        for (int i = 0; i < val.Count; i++)
        {
            DetectionSample a = val.Samples[i], b = again.Samples[i];
            Assert.Equal((a.ImageId, a.FileName, a.Width, a.Height, a.ImagePath), (b.ImageId, b.FileName, b.Width, b.Height, b.ImagePath));
            Assert.Equal(a.Objects.Count, b.Objects.Count);
            for (int k = 0; k < a.Objects.Count; k++)
            {
                Assert.Equal(a.Objects[k] with { Polygons = null }, b.Objects[k] with { Polygons = null });
                Assert.Equal(a.Objects[k].Polygons!.SelectMany(p => p), b.Objects[k].Polygons!.SelectMany(p => p));
            }
        }
    }

    [Fact]
    public void A_missing_split_or_an_unknown_class_is_reported()
    {
        var (_, dir) = DetectionShapes.Prepare(Small with { Count = 10 });
        Assert.Throws<FileNotFoundException>(() => DetectionDataset.Load(dir, "nope"));
        Assert.Null(DetectionDataset.TryLoad(dir, "nope"));
        File.WriteAllLines(Path.Combine(dir, "labels.txt"), ["circle"]);
        var error = Record.Exception(() =>
        {
            DetectionDataset.Load(dir, "train");
            DetectionDataset.Load(dir, "val");
        });
        Assert.IsType<InvalidDataException>(error);
        Assert.Contains("labels.txt", error.Message);
    }
}
