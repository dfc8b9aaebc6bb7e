using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Export.Onnx;
using PaddleX.Cloud.Vision.Training;
using CheckpointState = PaddleX.Cloud.Vision.Training.CheckpointState;

namespace PaddleX.Cloud.Vision.Quantisation;

/// <summary>Validation metrics of the float32 model (<see cref="Before"/>) and of the int8 model (<see cref="After"/>).</summary>
public sealed record QuantisationResult(Dictionary<string, double> Before, Dictionary<string, double> After, ExportedModelInfo Info);

/// <summary>
/// Post-training int8 export of a checkpoint: the float32 ONNX export is evaluated on the validation set,
/// calibrated on training images (batch 1), rewritten as a QDQ int8 graph (<see cref="QdqPlan"/>,
/// <see cref="QdqQuantiser"/>), evaluated again in ONNX Runtime and written with its model.json. Progress
/// lines are <see cref="QuantLogFormat"/>'s (the original's wording), which the export status reads back.
/// </summary>
public static class QuantisedExport
{
    public static QuantisationResult Run(string checkpointDir, string datasetDir, string saveDir, QuantisationOptions options, Action<string> log, CancellationToken cancellationToken = default)
    {
        var state = Checkpoints.ReadState(checkpointDir);
        if (state.Model is "FasterRCNN" or "MaskRCNN")
        {
            // Its graph carries RoiAlign, NonMaxSuppression and data-dependent shapes that the QDQ pass does not model.
            throw new NotSupportedException($"{state.Model}不支持量化导出 (int8 export is not available for {state.Model}; export it with quant false)");
        }

        var (floatBytes, info) = ExportFolder.Build(checkpointDir, OnnxWeights.Float32);
        var model = ModelProto.Parser.ParseFrom(floatBytes);
        var limit = Math.Clamp(options.CalibrationImages, 1, QuantisationOptions.MaxCalibrationImages);
        var data = state.Task == "detection" ? DetectionOnnxEvaluation.Set(state, datasetDir, limit) : OnnxEvaluation.Set(state, datasetDir, limit);
        using var sessionOptions = SessionOptions();
        log($"Evaluating the float32 model on {data.ValCount} validation images");
        Dictionary<string, double> before;
        using (var session = new InferenceSession(floatBytes, sessionOptions))
        {
            before = data.Evaluate(session, cancellationToken);
        }

        log($"float32 metrics: {Format(before)}");
        var plan = QdqPlan.For(model);
        Dictionary<string, (float Min, float Max)> ranges;
        using (var calibrator = new ActivationCalibrator(model, plan.Calibrated, sessionOptions))
        {
            var clock = Stopwatch.StartNew();
            var done = 0;
            foreach (var (sample, dims) in data.Calibration(cancellationToken))
            {
                calibrator.Add(sample, dims);
                log(QuantLogFormat.Batch(++done, data.CalibrationCount, clock.Elapsed.TotalSeconds));
                clock.Restart();
            }

            var weights = Timed((i, n, s) => log(QuantLogFormat.Weight(i, n, s)), onWeight => QdqQuantiser.QuantiseWeights(plan, onWeight));
            ranges = Timed((i, n, s) => log(QuantLogFormat.Activation(i, n, s)), onTensor => calibrator.Ranges(options.Method, plan.Ceilings, onTensor));
            cancellationToken.ThrowIfCancellationRequested();
            var quantised = QdqQuantiser.Quantise(model, plan, weights, ranges);
            var bytes = quantised.ToByteArray();
            info = info with
            {
                Weights = "int8",
                Quantisation = new QuantisationInfo
                {
                    CalibrationMethod = options.MethodName,
                    CalibrationImages = data.CalibrationCount,
                    FileSize = bytes.Length,
                    Float32FileSize = floatBytes.Length,
                },
            };
            ExportFolder.Save(saveDir, bytes, info);
            log(QuantLogFormat.Finished);
            log($"Evaluating the int8 model on {data.ValCount} validation images");
            using var session = new InferenceSession(bytes, sessionOptions);
            var after = data.Evaluate(session, cancellationToken);
            log($"int8 metrics: {Format(after)}; {bytes.Length} bytes ({100.0 * bytes.Length / floatBytes.Length:F1} % of float32)");
            return new QuantisationResult(before, after, info);
        }
    }

    /// <summary>The QDQ int8 form of any float32 ONNX graph with one float input, calibrated on
    /// <paramref name="samples"/> (each one input tensor of shape <paramref name="dims"/>).</summary>
    public static byte[] QuantiseOnnx(byte[] floatModel, IEnumerable<float[]> samples, int[] dims, QuantisationOptions options)
    {
        var model = ModelProto.Parser.ParseFrom(floatModel);
        var plan = QdqPlan.For(model);
        using var sessionOptions = SessionOptions();
        using var calibrator = new ActivationCalibrator(model, plan.Calibrated, sessionOptions);
        foreach (var sample in samples)
        {
            calibrator.Add(sample, dims);
        }

        return QdqQuantiser.Quantise(model, plan, QdqQuantiser.QuantiseWeights(plan), calibrator.Ranges(options.Method, plan.Ceilings)).ToByteArray();
    }

    /// <summary>ONNX Runtime on the CPU with every graph optimisation (the QDQ → int8 kernel fusions among them).</summary>
    public static SessionOptions SessionOptions(int threads = 0) => new()
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        IntraOpNumThreads = threads,
    };

    private static T Timed<T>(Action<int, int, double> line, Func<Action<int, int>, T> work)
    {
        var clock = Stopwatch.StartNew();
        return work((i, n) =>
        {
            line(i, n, clock.Elapsed.TotalSeconds);
            clock.Restart();
        });
    }

    private static string Format(Dictionary<string, double> metrics) =>
        string.Join(", ", metrics.Select(m => $"{m.Key}={m.Value.ToString("F6", CultureInfo.InvariantCulture)}"));
}
