using PaddleX.Cloud.Testing;
using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Detection.Tests.Yolo;

/// <summary>
/// One YOLOv3-MobileNetV1 trained to convergence, shared by the tests of a class: from scratch at 128 px on 200
/// generated shapes with <see cref="YoloLearningTests.Recipe"/> (600 steps). Training it is the expensive part of
/// the detection suite, so it is trained once per class that needs a converged parent.
/// </summary>
public sealed class ConvergedYolo
{
    public const int Epochs = 30;

    public ConvergedYolo()
    {
        var (_, datasetDir) = DetectionShapes.Prepare(YoloLearningTests.Shapes, valSplit: 0.2, testSplit: 0);
        var log = new StringWriter();
        (Result, WallSeconds, CpuSeconds) = TrainingClock.Measure(() => Trainers.For("detection").Run(new TrainingRequest
        {
            Params = YoloLearningTests.Recipe(Epochs),
            DatasetDir = datasetDir,
            OutputDir = Path.Combine(TempFolders.Create("pdx-yolo-converged-"), "parent"),
            Log = log,
        }));
        Log = log.ToString();
    }

    public TrainingResult Result { get; }

    public string Log { get; }

    public double WallSeconds { get; }

    public double CpuSeconds { get; }
}
