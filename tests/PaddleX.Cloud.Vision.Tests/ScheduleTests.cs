using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Vision.Tests;

public class ScheduleTests
{
    [Fact]
    public void Piecewise_multiplies_by_a_tenth_at_each_decay_epoch()
    {
        var s = new LrSchedule(LrPolicy.Piecewise, 0.1, stepsPerEpoch: 10, numEpochs: 8, decayEpochs: [4, 6]);
        Assert.Equal(0.1, s.At(0), 12);
        Assert.Equal(0.1, s.At(39), 12);
        Assert.Equal(0.01, s.At(40), 12);
        Assert.Equal(0.01, s.At(59), 12);
        Assert.Equal(0.001, s.At(60), 12);
        Assert.Equal(0.001, s.At(79), 12);
    }

    [Fact]
    public void Cosine_goes_from_base_to_zero()
    {
        var s = new LrSchedule(LrPolicy.Cosine, 0.2, stepsPerEpoch: 5, numEpochs: 4);
        Assert.Equal(0.2, s.At(0), 12);
        Assert.Equal(0.1, s.At(10), 12);
        Assert.Equal(0.2 * 0.5 * (1 + Math.Cos(Math.PI * 5 / 20)), s.At(5), 12);
        Assert.Equal(0.0, s.At(20), 12);
        Assert.Equal(0.0, s.At(25), 12);
    }

    [Fact]
    public void Linear_decays_to_zero()
    {
        var s = new LrSchedule(LrPolicy.Linear, 0.1, stepsPerEpoch: 10, numEpochs: 2);
        Assert.Equal(0.1, s.At(0), 12);
        Assert.Equal(0.05, s.At(10), 12);
        Assert.Equal(0.025, s.At(15), 12);
        Assert.Equal(0.0, s.At(20), 12);
    }

    [Fact]
    public void Warmup_ramps_linearly_then_runs_the_policy_offset_by_warmup()
    {
        var s = new LrSchedule(LrPolicy.Piecewise, 0.1, stepsPerEpoch: 10, numEpochs: 5, decayEpochs: [2], warmupSteps: 4, warmupStartLr: 0.02);
        Assert.Equal(0.02, s.At(0), 12);
        Assert.Equal(0.04, s.At(1), 12);
        Assert.Equal(0.08, s.At(3), 12);
        Assert.Equal(0.1, s.At(4), 12);
        Assert.Equal(0.1, s.At(23), 12);   // policy step 19 < 20
        Assert.Equal(0.01, s.At(24), 12);  // policy step 20 = decay boundary

        var c = new LrSchedule(LrPolicy.Cosine, 1.0, stepsPerEpoch: 10, numEpochs: 1, warmupSteps: 2);
        Assert.Equal(0.0, c.At(0), 12);
        Assert.Equal(0.5, c.At(1), 12);
        Assert.Equal(1.0, c.At(2), 12);
        Assert.Equal(0.5, c.At(7), 12);
    }

    [Theory]
    [InlineData("Piecewise", LrPolicy.Piecewise)]
    [InlineData("cosine", LrPolicy.Cosine)]
    [InlineData("Linear", LrPolicy.Linear)]
    [InlineData("Polynomial", LrPolicy.Polynomial)]
    public void Policy_names_parse(string name, LrPolicy expected) => Assert.Equal(expected, LrSchedule.ParsePolicy(name));

    [Fact]
    public void Polynomial_decays_with_power_0_9_to_zero()
    {
        var p = new LrSchedule(LrPolicy.Polynomial, 0.01, stepsPerEpoch: 10, numEpochs: 2);
        Assert.Equal(0.01, p.At(0), 12);
        Assert.Equal(0.01 * Math.Pow(0.5, 0.9), p.At(10), 12);
        Assert.Equal(0.0, p.At(20), 12);
    }

    [Fact]
    public void Unknown_policy_is_rejected() => Assert.Throws<ArgumentException>(() => LrSchedule.ParsePolicy("Exponential"));
}
