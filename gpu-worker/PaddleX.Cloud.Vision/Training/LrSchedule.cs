namespace PaddleX.Cloud.Vision.Training;

/// <summary>Learning-rate policies of the PaddleX classifier trainer.</summary>
public enum LrPolicy
{
    /// <summary>×0.1 at every epoch of <c>lr_decay_epochs</c>.</summary>
    Piecewise,

    /// <summary>Cosine annealing from the base rate to 0 over all steps.</summary>
    Cosine,

    /// <summary>Linear (polynomial, power 1) decay from the base rate to 0 over all steps.</summary>
    Linear,

    /// <summary>Polynomial decay with power 0.9 from the base rate to 0 over all steps (PaddleSeg's default).</summary>
    Polynomial,
}

/// <summary>
/// A step-indexed learning-rate schedule (Paddle semantics): the rate of global step <c>s</c> (0-based) is a
/// pure function of <c>s</c>, so the schedule state is just the step counter. With warmup, steps
/// <c>s &lt; warmup</c> ramp linearly from <c>warmup_start_lr</c> to the base rate, after which the policy runs
/// at <c>s − warmup</c> (Paddle's LinearWarmup).
/// </summary>
public sealed class LrSchedule
{
    public LrSchedule(
        LrPolicy policy,
        double baseLr,
        int stepsPerEpoch,
        int numEpochs,
        IReadOnlyList<int>? decayEpochs = null,
        int warmupSteps = 0,
        double warmupStartLr = 0,
        double decayGamma = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsPerEpoch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numEpochs, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        Policy = policy;
        BaseLr = baseLr;
        StepsPerEpoch = stepsPerEpoch;
        NumEpochs = numEpochs;
        DecayEpochs = (decayEpochs ?? []).OrderBy(e => e).ToArray();
        WarmupSteps = warmupSteps;
        WarmupStartLr = warmupStartLr;
        DecayGamma = decayGamma;
    }

    public LrPolicy Policy { get; }
    public double BaseLr { get; }
    public int StepsPerEpoch { get; }
    public int NumEpochs { get; }
    public IReadOnlyList<int> DecayEpochs { get; }
    public int WarmupSteps { get; }
    public double WarmupStartLr { get; }
    public double DecayGamma { get; }

    public int TotalSteps => StepsPerEpoch * NumEpochs;

    /// <summary>Exponent of the Polynomial policy (PaddleSeg's <c>power</c>).</summary>
    public const double PolynomialPower = 0.9;

    /// <summary>Learning rate used for global step <paramref name="step"/> (0-based).</summary>
    public double At(long step)
    {
        if (step < WarmupSteps)
        {
            return WarmupStartLr + (BaseLr - WarmupStartLr) * step / WarmupSteps;
        }

        long s = step - WarmupSteps;
        switch (Policy)
        {
            case LrPolicy.Piecewise:
            {
                int passed = 0;
                foreach (int e in DecayEpochs)
                {
                    if (s >= (long)e * StepsPerEpoch)
                    {
                        passed++;
                    }
                }

                return BaseLr * Math.Pow(DecayGamma, passed);
            }

            case LrPolicy.Cosine:
            {
                double t = Math.Min(s, TotalSteps);
                return BaseLr * 0.5 * (1 + Math.Cos(Math.PI * t / TotalSteps));
            }

            case LrPolicy.Linear:
            {
                double t = Math.Min(s, TotalSteps);
                return BaseLr * (1 - t / TotalSteps);
            }

            case LrPolicy.Polynomial:
            {
                double t = Math.Min(s, TotalSteps);
                return BaseLr * Math.Pow(1 - t / TotalSteps, PolynomialPower);
            }
            default:
                throw new InvalidOperationException($"unknown lr policy {Policy}");
        }
    }

    /// <summary>Parses a PaddleX <c>lr_policy</c> value (case-insensitive).</summary>
    public static LrPolicy ParsePolicy(string? value) => (value ?? "Piecewise").Trim().ToUpperInvariant() switch
    {
        "PIECEWISE" => LrPolicy.Piecewise,
        "COSINE" => LrPolicy.Cosine,
        "LINEAR" => LrPolicy.Linear,
        "POLYNOMIAL" => LrPolicy.Polynomial,
        _ => throw new ArgumentException($"Unknown lr_policy '{value}'. Valid: Piecewise, Cosine, Linear, Polynomial."),
    };
}
