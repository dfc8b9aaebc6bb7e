using PaddleX.Cloud.Vision.Metrics;

namespace PaddleX.Cloud.Vision.Tests;

public class MetricsTests
{
    private static readonly string[] Abc = ["a", "b", "c"];

    private static float[] OneHot(int c, int hot, int n = 3)
    {
        var s = new float[n];
        s[hot] = 1;
        s[c] = Math.Max(s[c], 0.5f);
        return s;
    }

    [Fact]
    public void Confusion_matrix_and_prf1_match_hand_computed_values()
    {
        // true → predicted: a→a, a→a, a→b, b→b, b→c, c→c
        var m = new ClassificationMetrics(Abc, topK: 5);
        (int t, int p)[] pairs = [(0, 0), (0, 0), (0, 1), (1, 1), (1, 2), (2, 2)];
        foreach (var (t, p) in pairs)
        {
            var s = new float[3];
            s[p] = 1;
            m.Add(t, s);
        }

        ClassificationReport r = m.Report();
        Assert.Equal(3, r.TopK);
        Assert.Equal([2L, 1, 0], r.ConfusionMatrix[0]);
        Assert.Equal([0L, 1, 1], r.ConfusionMatrix[1]);
        Assert.Equal([0L, 0, 1], r.ConfusionMatrix[2]);
        Assert.Equal(4.0 / 6, r.Acc1, 12);
        Assert.Equal(1.0, r.AccK, 12);

        // a: tp 2, predicted 2, true 3 → P 1, R 2/3, F1 4/5
        Assert.Equal(1.0, r.Prf1["a"].Precision, 12);
        Assert.Equal(2.0 / 3, r.Prf1["a"].Recall, 12);
        Assert.Equal(0.8, r.Prf1["a"].F1, 12);
        // b: tp 1, predicted 2, true 2 → 0.5, 0.5, 0.5
        Assert.Equal(0.5, r.Prf1["b"].Precision, 12);
        Assert.Equal(0.5, r.Prf1["b"].Recall, 12);
        Assert.Equal(0.5, r.Prf1["b"].F1, 12);
        // c: tp 1, predicted 2, true 1 → 0.5, 1, 2/3
        Assert.Equal(0.5, r.Prf1["c"].Precision, 12);
        Assert.Equal(1.0, r.Prf1["c"].Recall, 12);
        Assert.Equal(2.0 / 3, r.Prf1["c"].F1, 12);
        // weighted by true share 3/6, 2/6, 1/6
        Assert.Equal(0.5 * 1 + 2.0 / 6 * 0.5 + 1.0 / 6 * 0.5, r.Prf1Average.Precision, 12);
        Assert.Equal(0.5 * 2 / 3 + 2.0 / 6 * 0.5 + 1.0 / 6 * 1, r.Prf1Average.Recall, 12);
        Assert.Equal(0.5 * 0.8 + 2.0 / 6 * 0.5 + 1.0 / 6 * 2 / 3, r.Prf1Average.F1, 12);
    }

    [Fact]
    public void Top_k_counts_true_label_within_k_best_scores()
    {
        string[] labels = ["0", "1", "2", "3", "4", "5", "6"];
        var m = new ClassificationMetrics(labels, topK: 2);
        m.Add(3, [0.1f, 0.2f, 0.0f, 0.6f, 0.05f, 0.0f, 0.05f]); // rank 0
        m.Add(1, [0.5f, 0.3f, 0.1f, 0.0f, 0.1f, 0.0f, 0.0f]);   // rank 1
        m.Add(6, [0.5f, 0.3f, 0.1f, 0.0f, 0.0f, 0.0f, 0.1f]);   // rank 3 (0.5, 0.3 higher; the tie at index 2 ranks first)
        m.Add(0, [0.0f, 0.3f, 0.4f, 0.0f, 0.0f, 0.0f, 0.3f]);   // rank 3
        Assert.Equal(2, m.TopK);
        Assert.Equal(0.25, m.Acc1, 12);
        Assert.Equal(0.5, m.AccK, 12);
    }

    [Fact]
    public void Top_k_is_capped_by_label_count_and_absent_class_reports_minus_one()
    {
        var m = new ClassificationMetrics(Abc, topK: 5);
        m.Add(0, [0.9f, 0.1f, 0f]);
        m.Add(1, [0.9f, 0.05f, 0.05f]);
        ClassificationReport r = m.Report();
        Assert.Equal(3, r.TopK);
        Assert.Equal(new ClassPrf1(-1, -1, -1), r.Prf1["c"]);
        Assert.Equal(0.5, r.Prf1["a"].Precision, 12);
        Assert.Equal(0.0, r.Prf1["b"].Precision, 12);
        Assert.Equal(0.0, r.Prf1["b"].F1, 12);
        Assert.Equal(0.5 * (2.0 / 3) + 0.5 * 0, r.Prf1Average.F1, 12);
    }

    [Fact]
    public void Batch_add_and_score_count_validation()
    {
        var m = new ClassificationMetrics(Abc);
        m.AddBatch([2, 0], [0f, 0f, 1f, 1f, 0f, 0f]);
        Assert.Equal(2, m.Count);
        Assert.Equal(1.0, m.Acc1);
        Assert.Throws<ArgumentException>(() => m.Add(0, [1f, 0f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Add(3, [1f, 0f, 0f]));
        _ = OneHot(0, 0);
    }
}

public class OfflineEvaluationTests
{
    [Fact]
    public void Report_from_eval_details_json()
    {
        string dir = TempDir.Create();
        try
        {
            File.WriteAllText(Path.Combine(dir, "eval_details.json"), """
                {"label_list": ["cat", "dog"], "true_labels": [0, 0, 1, 1],
                 "pred_scores": [[0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.4, 0.6]]}
                """);
            ClassificationReport r = ClassificationEvaluation.FromEvalDetails(dir, topK: 5);
            Assert.Equal(2, r.TopK);
            Assert.Equal(0.75, r.Acc1, 12);
            Assert.Equal(1.0, r.AccK, 12);
            Assert.Equal([1L, 1], r.ConfusionMatrix[0]);
            Assert.Equal([0L, 2], r.ConfusionMatrix[1]);
            Assert.Equal(1.0, r.Prf1["cat"].Precision, 12);
            Assert.Equal(0.5, r.Prf1["cat"].Recall, 12);
            Assert.Equal(2.0 / 3, r.Prf1["dog"].Precision, 12);
            Assert.Equal(0.8, r.Prf1["dog"].F1, 12);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Trainer_factory_knows_every_family_with_a_trainer_and_names_them_for_the_others()
    {
        Assert.IsType<PaddleX.Cloud.Vision.Training.ClassificationTrainer>(PaddleX.Cloud.Vision.Training.Trainers.For("classification"));
        Assert.IsType<PaddleX.Cloud.Vision.Detection.Training.DetectionTrainer>(PaddleX.Cloud.Vision.Training.Trainers.For("detection"));
        Assert.IsType<PaddleX.Cloud.Vision.Detection.Training.DetectionTrainer>(PaddleX.Cloud.Vision.Training.Trainers.For("instance_segmentation"));
        var ex = Assert.Throws<NotSupportedException>(() => PaddleX.Cloud.Vision.Training.Trainers.For("keypoint_detection"));
        Assert.Contains("classification, detection", ex.Message, StringComparison.Ordinal);
    }
}
