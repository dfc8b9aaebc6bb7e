using PaddleX.Cloud.Testing;
using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Detection.Tests.Yolo;

/// <summary>
/// One YOLOv3-MobileNetV1 trained to convergence, shared by the tests of a class: from scratch at 128 px on 200
/// generated shapes with <see cref="YoloLearningTests.Recipe"/> (600 steps). Training it is the expensive part of
/// the detection suite, so the learning test and the slimming tests that need a converged parent use the same one.
/// </summary>
public sealed class ConvergedYolo
{
    public const int Epochs = 30;

    public ConvergedYolo()
    {
        (_, DatasetDir) = DetectionShapes.Prepare(YoloLearningTests.Shapes, valSplit: 0.2, testSplit: 0);
        Root = TempFolders.Create("pdx-yolo-converged-");
        var log = new StringWriter();
        (Result, WallSeconds, CpuSeconds) = TrainingClock.Measure(() => Trainers.For("detection").Run(new TrainingRequest
        {
            Params = Params,
            DatasetDir = DatasetDir,
            OutputDir = Path.Combine(Root, "parent"),
            Log = log,
        }));
        Log = log.ToString();
    }

    public TrainParams Params { get; } = YoloLearningTests.Recipe(Epochs);

    public string DatasetDir { get; }

    /// <summary>A scratch folder for what the tests derive from the parent.</summary>
    public string Root { get; }

    public TrainingResult Result { get; }

    public string BestModelDir => Result.BestModelDir!;

    public string Log { get; }

    public double WallSeconds { get; }

    public double CpuSeconds { get; }
}
