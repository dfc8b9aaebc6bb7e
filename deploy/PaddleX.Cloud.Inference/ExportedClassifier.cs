using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;

namespace PaddleX.Cloud.Inference;

/// <summary>One prediction: the best label, its probability, and all class probabilities.</summary>
public sealed record Prediction(string Label, int Index, float Score, float[] Probabilities);

/// <summary>Classifies pictures with an exported classification model.</summary>
public sealed class ExportedClassifier(string exportDir, SessionOptions? options = null)
    : ExportedModel(exportDir, options, "classification")
{
    public Prediction Predict(string imagePath)
    {
        using var bitmap = Decode(File.ReadAllBytes(imagePath));
        return PredictBatch([bitmap])[0];
    }

    public Prediction Predict(byte[] encoded)
    {
        using var bitmap = Decode(encoded);
        return PredictBatch([bitmap])[0];
    }

    /// <summary>Classifies several decoded pictures in one run.</summary>
    public IReadOnlyList<Prediction> PredictBatch(IReadOnlyList<SKBitmap> pictures)
    {
        int w = Info.InputSize[0], h = Info.InputSize[1], plane = w * h;
        var data = new float[pictures.Count * 3 * plane];
        for (var i = 0; i < pictures.Count; i++)
        {
            Fill(pictures[i], data.AsSpan(i * 3 * plane, 3 * plane), w, h);
        }

        var input = new DenseTensor<float>(data, [pictures.Count, 3, h, w]);
        using var results = Session.Run([NamedOnnxValue.CreateFromTensor(Info.Input, input)]);
        var probs = results.First(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
        var classes = Info.Labels.Length;
        var output = new List<Prediction>(pictures.Count);
        for (var i = 0; i < pictures.Count; i++)
        {
            var row = probs.AsSpan(i * classes, classes).ToArray();
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }

            output.Add(new Prediction(Info.Labels[best], best, row[best], row));
        }

        return output;
    }
}
