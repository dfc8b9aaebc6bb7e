using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>The JSON next to the weights of a checkpoint (<c>trainer_state.json</c>).</summary>
public sealed record CheckpointState
{
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    /// <summary>The network variant (<see cref="Models.Classification.ClassificationModels.Create"/>); null for the standard one.</summary>
    [JsonPropertyName("layout")] public string? Layout { get; init; }
    [JsonPropertyName("task")] public string Task { get; init; } = "classification";
    [JsonPropertyName("labels")] public string[] Labels { get; init; } = [];
    [JsonPropertyName("image_shape")] public int[] ImageShape { get; init; } = [];
    [JsonPropertyName("image_mean")] public double[] ImageMean { get; init; } = [];
    [JsonPropertyName("image_std")] public double[] ImageStd { get; init; } = [];
    /// <summary>Input channels (3 for pictures; the band count of a remote-sensing image).</summary>
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 3;
    [JsonPropertyName("backbone")] public string? Backbone { get; init; }
    /// <summary>YOLO family: the <c>anchor_scale</c> the detector was built with; null = 1.</summary>
    [JsonPropertyName("anchor_scale")] public double? AnchorScale { get; init; }
    /// <summary>Faster / Mask R-CNN: the <c>rcnn_fpn_channels</c> the detector was built with; null = the default.</summary>
    [JsonPropertyName("rcnn_fpn_channels")] public int? RcnnFpnChannels { get; init; }
    /// <summary>Mask R-CNN: the <c>rcnn_mask_channels</c> the detector was built with; null = the default.</summary>
    [JsonPropertyName("rcnn_mask_channels")] public int? RcnnMaskChannels { get; init; }
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    [JsonPropertyName("global_step")] public long GlobalStep { get; init; }
    [JsonPropertyName("steps_per_epoch")] public int StepsPerEpoch { get; init; }
    [JsonPropertyName("lr")] public double LearningRate { get; init; }
    [JsonPropertyName("lr_policy")] public string LrPolicy { get; init; } = "";
    [JsonPropertyName("base_lr")] public double BaseLr { get; init; }
    [JsonPropertyName("lr_decay_epochs")] public int[] LrDecayEpochs { get; init; } = [];
    [JsonPropertyName("warmup_steps")] public int WarmupSteps { get; init; }
    [JsonPropertyName("warmup_start_lr")] public double WarmupStartLr { get; init; }
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    /// <summary>The best validation value of <see cref="BestMetric"/> (named after classification's top-1).</summary>
    [JsonPropertyName("best_acc1")] public double BestAcc1 { get; init; } = -1;
    [JsonPropertyName("best_metric")] public string BestMetric { get; init; } = "acc1";
    [JsonPropertyName("metrics")] public Dictionary<string, double> Metrics { get; init; } = [];
    [JsonPropertyName("history")] public List<EpochRecord> History { get; init; } = [];

    /// <summary>Interruption checkpoints only: batches of epoch <see cref="Epoch"/> + 1 already trained
    /// when the worker stopped, and what they summed to; 0 and null in epoch checkpoints.</summary>
    [JsonPropertyName("epoch_step")] public int EpochStep { get; init; }
    [JsonPropertyName("epoch_partial")] public PartialEpoch? Partial { get; init; }

    /// <summary>Pruned networks only: the kept channels per group and the complexity before and after.</summary>
    [JsonPropertyName("pruning")] public Slim.PruningInfo? Pruning { get; init; }
}

/// <summary>The running sums of an unfinished epoch, so its record after a resume covers every batch.</summary>
public sealed record PartialEpoch
{
    [JsonPropertyName("loss_sum")] public double LossSum { get; init; }
    [JsonPropertyName("seen")] public int Seen { get; init; }
    [JsonPropertyName("metric_sums")] public Dictionary<string, double> MetricSums { get; init; } = [];
}

/// <summary>
/// Checkpoint folders: <c>model.dat</c> (TorchSharp module.save), <c>optimizer.dat</c> (optimizer state),
/// <c>trainer_state.json</c> (epoch, step = schedule state, metrics, history), optional
/// <c>eval_details.json</c>, and the <c>.success</c> marker written last.
/// </summary>
public static class Checkpoints
{
    public const string ModelFile = "model.dat";
    public const string OptimizerFile = "optimizer.dat";
    public const string StateFile = "trainer_state.json";
    public const string EvalDetailsFile = "eval_details.json";
    public const string SuccessMarker = ".success";

    /// <summary>In <c>output/</c>: the checkpoint written when the worker stops mid-epoch. Not <c>epoch_N</c>,
    /// so epoch lists, <c>max_saved_epochs</c> and the best model never see it; removed once an epoch
    /// checkpoint after it is saved.</summary>
    public const string InterruptedDir = ".interrupted";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Save(string dir, nn.Module model, optim.Optimizer optimizer, CheckpointState state, object? evalDetails = null)
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir);
        model.save(Path.Combine(dir, ModelFile));
        if (optimizer is OptimizerHelper helper)
        {
            helper.save_state_dict(Path.Combine(dir, OptimizerFile));
        }

        File.WriteAllText(Path.Combine(dir, StateFile), JsonSerializer.Serialize(state, Json));
        if (evalDetails is not null)
        {
            File.WriteAllText(Path.Combine(dir, EvalDetailsFile), JsonSerializer.Serialize(evalDetails, Json));
        }

        File.WriteAllText(Path.Combine(dir, SuccessMarker), "");
    }

    public static bool IsComplete(string dir) => File.Exists(Path.Combine(dir, SuccessMarker));

    public static CheckpointState ReadState(string dir)
    {
        string path = Path.Combine(dir, StateFile);
        return JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"empty checkpoint state {path}");
    }

    /// <summary>Restores model weights (exact names and shapes; a pruned network first gets the channel counts
    /// its checkpoint recorded). The optimizer state is restored by <see cref="TryLoadOptimizer"/>.</summary>
    public static CheckpointState Load(string dir, nn.Module model)
    {
        if (!IsComplete(dir))
        {
            throw new InvalidDataException($"checkpoint {dir} is incomplete (no {SuccessMarker})");
        }

        var state = ReadState(dir);
        Slim.PrunedNetwork.Rebuild(model, state);
        model.load(Path.Combine(dir, ModelFile));
        return state;
    }

    /// <summary>Restores the optimizer state of a checkpoint when it fits the optimizer (same type, parameter
    /// groups and states); returns why not otherwise. TorchSharp may have changed part of the optimizer
    /// before it noticed a mismatch, so after a refusal the caller builds a fresh optimizer.</summary>
    public static string? TryLoadOptimizer(string dir, optim.Optimizer optimizer)
    {
        string path = Path.Combine(dir, OptimizerFile);
        if (optimizer is not OptimizerHelper helper || !File.Exists(path))
        {
            return $"no {OptimizerFile}";
        }

        try
        {
            helper.load_state_dict(path);
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or IOException or InvalidCastException)
        {
            return ex.Message;
        }
    }

    /// <summary>Copies a finished checkpoint folder (e.g. epoch_N → best_model), <c>.success</c> last.</summary>
    public static void CopyTo(string source, string dest)
    {
        string tmp = dest + ".tmp";
        if (Directory.Exists(tmp))
        {
            Directory.Delete(tmp, true);
        }

        Directory.CreateDirectory(tmp);
        foreach (string f in Directory.GetFiles(source))
        {
            if (Path.GetFileName(f) != SuccessMarker)
            {
                File.Copy(f, Path.Combine(tmp, Path.GetFileName(f)));
            }
        }

        File.WriteAllText(Path.Combine(tmp, SuccessMarker), "");
        if (Directory.Exists(dest))
        {
            Directory.Delete(dest, true);
        }

        Directory.Move(tmp, dest);
    }
}
