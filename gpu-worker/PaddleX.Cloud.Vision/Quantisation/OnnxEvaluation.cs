using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Data;
using PaddleX.Cloud.Vision.Metrics;
using PaddleX.Cloud.Vision.Training;
using CheckpointState = PaddleX.Cloud.Vision.Training.CheckpointState;

namespace PaddleX.Cloud.Vision.Quantisation;

/// <summary>
/// The samples of a checkpoint's dataset prepared exactly as its validation was (no augmentation), and the
/// validation metrics of an exported graph run in ONNX Runtime on them: classification <c>acc1</c> and
/// <c>acc{k}</c> (k = min(5, classes), as training names them), segmentation <c>miou</c>.
/// </summary>
public static class OnnxEvaluation
{
    public static bool IsSegmentation(CheckpointState state) => state.Task is "segmentation" or "remote_segmentation";

    /// <summary>The samples of <paramref name="listFile"/>, at most <paramref name="limit"/> of them spread evenly over the list; null without the list.</summary>
    public static ISampleSource? Source(CheckpointState state, string datasetDir, string listFile, int? limit = null)
    {
        int w = state.ImageShape[0], h = state.ImageShape[1];
        if (IsSegmentation(state))
        {
            var data = SegmentationDataset.TryLoad(datasetDir, listFile, state.Labels);
            return data is null ? null : new SegmentationSource(Spread(data.Samples, limit), new SegmentationTransforms(w, h, state.InChannels, state.ImageMean, state.ImageStd), state.Labels.Length);
        }

        var list = ClassificationDataset.TryLoad(datasetDir, listFile, state.Labels);
        return list is null ? null : new ClassificationSource(Spread(list.Samples, limit), new ClassificationTransforms(w, h, state.ImageMean, state.ImageStd));
    }

    /// <summary>Metrics of <paramref name="session"/> on <paramref name="source"/> (batches of <paramref name="batchSize"/>).</summary>
    public static Dictionary<string, double> Evaluate(InferenceSession session, CheckpointState state, ISampleSource source, int batchSize = 8, CancellationToken cancellationToken = default)
    {
        var loader = new BatchLoader(source, batchSize, shuffle: false, augment: false, dropLast: false, seed: 0);
        var input = session.InputMetadata.Keys.First();
        var segmentation = IsSegmentation(state);
        var classification = new ClassificationMetrics(state.Labels, Math.Min(5, state.Labels.Length));
        var pixels = new SegmentationMetrics(state.Labels);
        foreach (var b in loader.Epoch(0, cancellationToken))
        {
            var x = new DenseTensor<float>(b.Data, [b.Count, b.Channels, b.Height, b.Width]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, x)], [segmentation ? "label_map" : "probabilities"]);
            if (segmentation)
            {
                pixels.Add(b.Labels, results[0].AsTensor<long>().ToArray());
            }
            else
            {
                classification.AddBatch(b.Labels, results[0].AsTensor<float>().ToArray());
            }
        }

        return segmentation
            ? new Dictionary<string, double> { ["miou"] = pixels.MeanIoU() }
            : new Dictionary<string, double> { ["acc1"] = classification.Acc1, [$"acc{classification.TopK}"] = classification.AccK };
    }

    /// <summary>The classification or segmentation pictures of an int8 export.</summary>
    internal static IQuantisationSet Set(CheckpointState state, string datasetDir, int calibrationImages) => new PictureSet(
        state,
        Source(state, datasetDir, "val_list.txt") ?? throw new InvalidDataException("数据集没有验证集val_list.txt，无法评估量化前后的模型 (the dataset has no validation split)"),
        Source(state, datasetDir, "train_list.txt", calibrationImages) ?? throw new InvalidDataException("数据集没有训练集train_list.txt (the dataset has no training split)"));

    /// <summary>The indices of at most <paramref name="limit"/> of <paramref name="count"/> items, spread evenly.</summary>
    internal static IEnumerable<int> Spread(int count, int? limit) =>
        limit is not int n || n >= count ? Enumerable.Range(0, count) : Enumerable.Range(0, n).Select(i => (int)((long)i * count / n));

    private static List<T> Spread<T>(IReadOnlyList<T> samples, int? limit)
    {
        return Spread(samples.Count, limit).Select(i => samples[i]).ToList();
    }

    private sealed class PictureSet(CheckpointState state, ISampleSource val, ISampleSource calibration) : IQuantisationSet
    {
        public int ValCount => val.Count;

        public int CalibrationCount => calibration.Count;

        public IEnumerable<(float[] Data, int[] Dims)> Calibration(CancellationToken cancellationToken) =>
            new BatchLoader(calibration, 1, shuffle: false, augment: false, dropLast: false, seed: 0).Epoch(0, cancellationToken)
                .Select(b => (b.Data, new[] { 1, b.Channels, b.Height, b.Width }));

        public Dictionary<string, double> Evaluate(InferenceSession session, CancellationToken cancellationToken) =>
            OnnxEvaluation.Evaluate(session, state, val, cancellationToken: cancellationToken);
    }
}
