using PaddleX.Cloud.Contracts.Training;

namespace PaddleX.Cloud.Vision.Tests;

public class LogParserTests
{
    private const string Train1 = "2026-11-26 21:00:00 [INFO]\t[TRAIN] Epoch=1/6, Step=2/13, loss=1.234567, lr=0.001000, acc1=0.500000, acc5=1.000000, time_each_step=0.12s, eta=0:01:02";
    private const string Train2 = "2026-11-26 21:00:05 [INFO]\t[TRAIN] Epoch=1/6, Step=4/13, loss=0.900000, lr=0.001000, acc1=0.750000, acc5=1.000000, time_each_step=0.11s, eta=0:00:58";
    private const string Eval1 = "2026-11-26 21:00:09 [INFO]\t[EVAL] Finished, Epoch=1, acc1=0.9, acc5=1.0 .";

    [Fact]
    public void Train_metrics_come_from_the_newest_train_step_line()
    {
        TrainLog log = TrainLogParser.Parse([Train1, Train2, "2026-11-26 21:00:06 [INFO]\tsomething else"]);
        Assert.NotNull(log.TrainMetrics);
        IReadOnlyDictionary<string, object> m = log.TrainMetrics!;
        Assert.Equal(1L, m["Epoch"]);
        Assert.Equal(4L, m["Step"]);
        Assert.Equal(0.9, m["loss"]);
        Assert.Equal(0.001, m["lr"]);
        Assert.Equal(0.75, m["acc1"]);
        Assert.Equal(1.0, m["acc5"]);
        // "0.11s" contains "." but is not a float, "0:00:58" is not an int: both dropped.
        Assert.False(m.ContainsKey("time_each_step"));
        Assert.False(m.ContainsKey("eta"));
        Assert.Equal(6, m.Count);
        Assert.Equal(58L, log.Eta);
    }

    [Fact]
    public void Eval_metrics_need_finished_and_trailing_dot()
    {
        TrainLog log = TrainLogParser.Parse([Train1, Eval1, "2026-11-26 21:00:10 [INFO]\t[EVAL] Finished, Epoch=2, acc1=0.1"]);
        Assert.NotNull(log.EvalMetrics);
        Assert.Equal(1L, log.EvalMetrics!["Epoch"]);
        Assert.Equal(0.9, log.EvalMetrics["acc1"]);
        Assert.Equal(1.0, log.EvalMetrics["acc5"]);
        Assert.Equal(3, log.EvalMetrics.Count);
        Assert.False(log.EvalDone);
    }

    [Fact]
    public void Nan_values_stay_strings_and_values_before_slash_are_used()
    {
        string line = "2026-11-26 21:00:00 [INFO]\t[TRAIN] Epoch=3/6, Step=10/13, loss=nan, lr=0.100000, weird, x=abc, eta=1:00:00";
        TrainLog log = TrainLogParser.Parse([line]);
        Assert.Equal("nan", log.TrainMetrics!["loss"]);
        Assert.Equal(3L, log.TrainMetrics["Epoch"]);
        Assert.Equal(10L, log.TrainMetrics["Step"]);
        Assert.False(log.TrainMetrics.ContainsKey("x"));
        Assert.Equal(3600L, log.Eta);
    }

    [Fact]
    public void Train_line_must_end_with_eta_token()
    {
        TrainLog log = TrainLogParser.Parse(["2026-11-26 21:00:00 [INFO]\t[TRAIN] Epoch=1/6, Step=2/13, loss=1.0"]);
        Assert.Null(log.TrainMetrics);
        Assert.Null(log.Eta);
    }

    [Fact]
    public void Stage_error_and_eval_done_flags()
    {
        TrainLog none = TrainLogParser.Parse([Train1]);
        Assert.Null(none.TrainStage);
        Assert.Null(none.TrainError);
        Assert.False(none.EvalDone);

        TrainLog done = TrainLogParser.Parse([Train1, Eval1, "2026-11-26 21:00:09 [INFO]\tModel saved in output/epoch_1.", "2026-11-26 21:01:00 [INFO]\tTrain Complete!"]);
        Assert.Equal("Train Complete", done.TrainStage);
        Assert.True(done.EvalDone);

        string err = "2026-11-26 21:00:09 [ERROR]\tTraining stop with error! ValueError: boom";
        TrainLog failed = TrainLogParser.Parse([Train1, err]);
        Assert.Equal(err, failed.TrainError);
    }

    [Fact]
    public void Download_status_variants()
    {
        Assert.Equal("Done", TrainLogParser.Parse(["2026-11-26 21:00:00 [INFO]\tdownload completed"]).DownloadStatus);
        Assert.Equal("Failed", TrainLogParser.Parse(["2026-11-26 21:00:00 [INFO]\tdownload failed"]).DownloadStatus);
        object? progress = TrainLogParser.Parse(["2026-11-26 21:00:00 [DEBUG]\tDownloading x.tar download=12.5, total=100.0, speed=300KB/s"]).DownloadStatus;
        Assert.Equal(new DownloadProgress("300KB/s", 12.5, 100.0), progress);
        Assert.Null(TrainLogParser.Parse([Train1]).DownloadStatus);
    }

    [Fact]
    public void Running_duration_is_mtime_minus_first_timestamp()
    {
        TrainLog log = TrainLogParser.Parse(["This log file path is /x/out.log", Train1], logModified: new DateTime(2026, 11, 26, 22, 2, 3));
        Assert.Equal("1小时2分3秒", log.RunningDuration);
    }

    [Fact]
    public void Missing_file_gives_empty_log_and_file_parse_sets_path()
    {
        TrainLog missing = TrainLogParser.ParseFile(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N")));
        Assert.Null(missing.TrainMetrics);
        Assert.Null(missing.RunningDuration);
        Assert.False(missing.EvalDone);

        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, [Train1, Eval1]);
            TrainLog log = TrainLogParser.ParseFile(path);
            Assert.Equal(path, log.LogFile);
            Assert.Equal(2L, log.TrainMetrics!["Step"]);
            Assert.NotNull(log.RunningDuration);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Writer_output_round_trips_through_the_parser()
    {
        var t = new DateTime(2026, 11, 26, 21, 0, 0);
        string train = PaddleXLogFormat.TrainStep(t, 2, 6, 4, 13, 0.123456789, 0.0125,
            [new("acc1", 0.5), new("acc4", 1.0)], 0.1234, 3723.4);
        Assert.Equal("2026-11-26 21:00:00 [INFO]\t[TRAIN] Epoch=2/6, Step=4/13, loss=0.123457, lr=0.012500, acc1=0.500000, acc4=1.000000, time_each_step=0.12s, eta=1:02:03", train);
        string eval = PaddleXLogFormat.EvalFinished(t, 2, [new("acc1", 0.95), new("acc4", 1.0)]);
        Assert.Equal("2026-11-26 21:00:00 [INFO]\t[EVAL] Finished, Epoch=2, acc1=0.950000, acc4=1.000000 .", eval);
        TrainLog log = TrainLogParser.Parse([train, eval, PaddleXLogFormat.ModelSaved(t, "out/epoch_2"), PaddleXLogFormat.Info(t, PaddleXLogFormat.TrainComplete)]);
        Assert.Equal(0.123457, log.TrainMetrics!["loss"]);
        Assert.Equal(0.95, log.EvalMetrics!["acc1"]);
        Assert.Equal(3723L, log.Eta);
        Assert.True(log.EvalDone);
        Assert.Equal("Train Complete", log.TrainStage);
    }
}
