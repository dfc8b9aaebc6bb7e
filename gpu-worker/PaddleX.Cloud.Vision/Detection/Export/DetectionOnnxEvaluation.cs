using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Metrics;
using PaddleX.Cloud.Vision.Detection.Training;
using PaddleX.Cloud.Vision.Quantisation;
using PaddleX.Cloud.Vision.Training;
using CheckpointState = PaddleX.Cloud.Vision.Training.CheckpointState;

namespace PaddleX.Cloud.Vision.Detection.Export;

/// <summary>
/// The pictures of a detection int8 export: validation and calibration pictures prepared as the detection
/// validation prepares them (resized to the training size, normalised), and the validation scored from the
/// exported graph's final detections (<see cref="DetectionOnnxExporter"/>: boxes in input pixels, mapped back to the
/// pictures) by the same VOC mAP or COCO AP the training reports.
/// </summary>
internal static class DetectionOnnxEvaluation
{
    public static IQuantisationSet Set(CheckpointState state, string datasetDir, int calibrationImages)
    {
        var val = DetectionDataset.TryLoad(datasetDir, "val") is { Count: > 0 } v
            ? v
            : throw new InvalidDataException("数据集没有验证集val_list.txt，无法评估量化前后的模型 (the dataset has no validation split)");
        var train = DetectionDataset.TryLoad(datasetDir, "train") is { Count: > 0 } t
            ? t
            : throw new InvalidDataException("数据集没有训练集train_list.txt (the dataset has no training split)");
        var p = new TrainParams { Model = state.Model, ImageShape = state.ImageShape, ImageMean = state.ImageMean, ImageStd = state.ImageStd };
        return new PictureSet(val, train, DetectionPipeline.ForEvaluation(p), OnnxEvaluation.Spread(train.Count, calibrationImages).ToArray());
    }

    private sealed class PictureSet(DetectionDataset val, DetectionDataset train, DetectionPipeline pipeline, int[] calibration) : IQuantisationSet
    {
        private readonly CocoDataset groundTruth = CocoDataset.Parse(val.ToCocoGroundTruth().ToJsonString());

        public int ValCount => val.Count;

        public int CalibrationCount => calibration.Length;

        public IEnumerable<(float[] Data, int[] Dims)> Calibration(CancellationToken cancellationToken)
        {
            var loader = new DetectionLoader(train, pipeline, 1, shuffle: false, dropLast: false, seed: 0);
            foreach (int sample in calibration)
            {
                cancellationToken.ThrowIfCancellationRequested();
                DetectionBatch b = loader.BuildBatch(0, 0, [sample]);
                yield return (b.Images, [1, 3, b.Height, b.Width]);
            }
        }

        public Dictionary<string, double> Evaluate(InferenceSession session, CancellationToken cancellationToken)
        {
            var loader = new DetectionLoader(val, pipeline, 1, shuffle: false, dropLast: false, seed: 0);
            string input = session.InputMetadata.Keys.First();
            var results = new List<CocoResult>();
            foreach (DetectionBatch b in loader.Epoch(0, cancellationToken))
            {
                var x = new DenseTensor<float>(b.Images, [1, 3, b.Height, b.Width]);
                using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(input, x)],
                    [DetectionOnnxExporter.BoxesName, DetectionOnnxExporter.ScoresName, DetectionOnnxExporter.ClassesName]);
                float[] boxes = outputs[0].AsTensor<float>().ToArray();
                float[] scores = outputs[1].AsTensor<float>().ToArray();
                long[] classes = outputs[2].AsTensor<long>().ToArray();
                DetectionAnnotations a = b.Items[0];
                for (int k = 0; k < scores.Length; k++)
                {
                    var d = BoxDetection.InPicture(a, (int)classes[k], scores[k], boxes.AsSpan(k * 4, 4));
                    results.Add(new CocoResult { ImageId = a.ImageId, CategoryId = d.Label + 1, Bbox = d.Xywh, Score = d.Score });
                }
            }

            return new Dictionary<string, double> { [DetectionFamily.MetricName(val.IsCoco)] = DetectionFamily.Score(val.IsCoco, groundTruth, results) };
        }
    }
}
