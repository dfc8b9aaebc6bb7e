using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Export.Onnx;

namespace PaddleX.Cloud.Vision.Quantisation;

/// <summary>
/// Runs the float32 graph in ONNX Runtime with the tensors to calibrate added as graph outputs, one sample
/// at a time (batch 1, as the original calibrates), and collects their <see cref="TensorStatistics"/>.
/// </summary>
internal sealed class ActivationCalibrator : IDisposable
{
    private readonly InferenceSession session;
    private readonly string inputName;
    private readonly List<string> outputs;
    private readonly Dictionary<string, TensorStatistics> statistics = new(StringComparer.Ordinal);

    public ActivationCalibrator(ModelProto model, IReadOnlyList<string> tensors, SessionOptions? options = null)
    {
        var probe = model.Clone();
        inputName = probe.Graph.Input.Single(i => probe.Graph.Initializer.All(t => t.Name != i.Name)).Name;
        var declared = probe.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        outputs = tensors.Where(t => t != inputName).ToList();
        foreach (var tensor in outputs.Where(t => !declared.Contains(t)))
        {
            probe.Graph.Output.Add(new ValueInfoProto
            {
                Name = tensor,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        foreach (var tensor in tensors)
        {
            statistics[tensor] = new TensorStatistics();
        }

        session = options is null ? new InferenceSession(probe.ToByteArray()) : new InferenceSession(probe.ToByteArray(), options);
    }

    public IReadOnlyDictionary<string, TensorStatistics> Statistics => statistics;

    /// <summary>Runs one sample ([1, C, H, W] float) and adds what every calibrated tensor held.</summary>
    public void Add(float[] sample, int[] dims)
    {
        var input = new DenseTensor<float>(sample, dims);
        if (statistics.TryGetValue(inputName, out var own))
        {
            own.Add(sample);
        }

        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)], outputs);
        foreach (var result in results)
        {
            var tensor = result.AsTensor<float>();
            statistics[result.Name].Add(tensor is DenseTensor<float> dense ? dense.Buffer.Span : tensor.ToArray());
        }
    }

    /// <summary>The quantisation range of each calibrated tensor by <paramref name="method"/>; reports (done, total).
    /// Tensors in <paramref name="bounded"/> (outputs of a Clip(0, c) such as ReLU6) keep their whole seen range: their
    /// values pile up at the ceiling, and a histogram method reads that pile as a tail to clip — KL cut a MobileNetV2
    /// ReLU6 output from 6 to 1.5 and int8 top-1 fell from 1.0 to 0.47.</summary>
    public Dictionary<string, (float Min, float Max)> Ranges(CalibrationMethod method, IReadOnlyDictionary<string, float> bounded, Action<int, int>? onTensor = null)
    {
        var ranges = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
        var done = 0;
        foreach (var (name, stats) in statistics)
        {
            ranges[name] = stats.Range(bounded.ContainsKey(name) ? CalibrationMethod.MinMax : method);
            onTensor?.Invoke(++done, statistics.Count);
        }

        return ranges;
    }

    public void Dispose() => session.Dispose();
}
