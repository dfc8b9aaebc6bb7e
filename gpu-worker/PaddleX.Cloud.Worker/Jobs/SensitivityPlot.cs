using System.Globalization;
using PaddleX.Cloud.Datasets.Rendering;
using PaddleX.Cloud.Vision.Slim;
using SkiaSharp;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>The sensitivity plot (<c>GET /project/task/metrics?type=sensitivities</c>): the relative metric loss
/// against the pruning ratio, one line per channel group, with a legend.</summary>
public static class SensitivityPlot
{
    public static byte[] Render(Sensitivities s)
    {
        const int plotW = 640, plotH = 400, left = 70, top = 40, legendRow = 16;
        var groups = s.Groups.Keys.ToList();
        var legendW = 20 + (8 * Math.Min(48, groups.Count == 0 ? 0 : groups.Max(g => g.Length)));
        var height = Math.Max(top + plotH + 60, top + (groups.Count * legendRow) + 20);
        using var surface = SKSurface.Create(new SKImageInfo(left + plotW + 30 + legendW, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(AnnotationRenderer.Typeface, 12);
        using var paint = new SKPaint { IsAntialias = true, Color = SKColors.Black, StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        using var text = new SKPaint { IsAntialias = true, Color = SKColors.Black };

        var maxRatio = s.Ratios.Length == 0 ? 1 : s.Ratios.Max();
        var maxLoss = Math.Max(0.05, s.Groups.Values.SelectMany(g => g.Loss.Values).DefaultIfEmpty(0).Max());
        var minLoss = Math.Min(0, s.Groups.Values.SelectMany(g => g.Loss.Values).DefaultIfEmpty(0).Min());
        float X(double ratio) => left + (float)(ratio / maxRatio * plotW);
        float Y(double loss) => top + plotH - (float)((loss - minLoss) / (maxLoss - minLoss) * plotH);

        canvas.DrawRect(left, top, plotW, plotH, paint);
        canvas.DrawText($"Sensitivity of {s.Model}: relative {s.Metric} loss (unpruned {s.Metric}={s.Base.ToString("0.####", CultureInfo.InvariantCulture)})", left, top - 15, SKTextAlign.Left, font, text);
        foreach (var r in s.Ratios)
        {
            canvas.DrawText(Sensitivities.Key(r), X(r), top + plotH + 16, SKTextAlign.Center, font, text);
        }

        canvas.DrawText("pruned ratio", left + (plotW / 2), top + plotH + 36, SKTextAlign.Center, font, text);
        for (var i = 0; i <= 5; i++)
        {
            var loss = minLoss + ((maxLoss - minLoss) * i / 5);
            canvas.DrawText(loss.ToString("0.###", CultureInfo.InvariantCulture), left - 6, Y(loss) + 4, SKTextAlign.Right, font, text);
        }

        for (var g = 0; g < groups.Count; g++)
        {
            var colour = SKColor.FromHsv(360f * g / Math.Max(1, groups.Count), 85, 80);
            using var line = new SKPaint { IsAntialias = true, Color = colour, StrokeWidth = 2, Style = SKPaintStyle.Stroke };
            using var path = new SKPath();
            path.MoveTo(X(0), Y(0));
            foreach (var r in s.Ratios.Order())
            {
                if (s.Groups[groups[g]].Loss.TryGetValue(Sensitivities.Key(r), out var loss))
                {
                    path.LineTo(X(r), Y(loss));
                }
            }

            canvas.DrawPath(path, line);
            var y = top + (g * legendRow) + 8;
            canvas.DrawLine(left + plotW + 30, y - 4, left + plotW + 44, y - 4, line);
            canvas.DrawText(groups[g], left + plotW + 50, y, SKTextAlign.Left, font, text);
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
