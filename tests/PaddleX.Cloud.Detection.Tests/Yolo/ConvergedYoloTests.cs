using Xunit.Abstractions;

namespace PaddleX.Cloud.Detection.Tests.Yolo;

/// <summary>
/// A converged YOLOv3-MobileNetV1 (<see cref="ConvergedYolo"/>, trained once for the class): from scratch at 128 px
/// on generated shapes it reaches a validation VOC mAP (PaddleX's 11-point <c>bbox_map</c>) of 0.8.
/// </summary>
public sealed class ConvergedYoloTests(ConvergedYolo parent, ITestOutputHelper output) : IClassFixture<ConvergedYolo>
{
    [Fact]
    public void From_scratch_at_128_px_reaches_a_voc_map_of_0_8()
    {
        output.WriteLine(parent.Log);
        output.WriteLine($"training: {parent.WallSeconds:F0} s wall, {parent.CpuSeconds:F0} CPU-s; best bbox_map {parent.Result.BestAcc1:F3} at epoch {parent.Result.BestEpoch}");
        Assert.Equal("bbox_map", parent.Result.BestMetric);
        Assert.True(parent.Result.BestAcc1 >= 0.8, $"bbox_map {parent.Result.BestAcc1:F3} < 0.8 ({parent.WallSeconds:F0} s wall, {parent.CpuSeconds:F0} CPU-s)");
    }
}
