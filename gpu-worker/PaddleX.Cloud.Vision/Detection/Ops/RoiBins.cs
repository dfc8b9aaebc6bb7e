namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// One RoIAlign box on its feature level: where its bins start, their size, how many samples each bin averages.
/// Computed in single precision in torchvision's order of operations, so the sample positions (and with them the
/// border decisions) are torchvision's.
/// </summary>
internal readonly record struct RoiBins(
    int Batch, float StartH, float StartW, float BinH, float BinW, int GridH, int GridW, int OutputHeight, int OutputWidth)
{
    /// <summary>Samples averaged per bin (at least 1, as torchvision divides).</summary>
    public float Count => Math.Max(GridH * GridW, 1);

    public static RoiBins Of(int index, ReadOnlySpan<float> roi, long batch, double scale, int outputHeight, int outputWidth, int samplingRatio, bool aligned)
    {
        int b = (int)roi[0];
        if (b < 0 || b >= batch)
        {
            throw new ArgumentException($"roi {index} has batch index {roi[0]}, the input holds {batch} images");
        }

        double offset = aligned ? 0.5 : 0.0;
        float startW = (float)(roi[1] * scale - offset);
        float startH = (float)(roi[2] * scale - offset);
        float roiW = (float)(roi[3] * scale - offset) - startW;
        float roiH = (float)(roi[4] * scale - offset) - startH;
        if (!aligned)
        {
            // Unaligned boxes are at least one cell (torchvision's legacy rule), so tiny boxes still see the map.
            roiW = MathF.Max(roiW, 1f);
            roiH = MathF.Max(roiH, 1f);
        }

        float binH = roiH / outputHeight;
        float binW = roiW / outputWidth;
        int gridH = samplingRatio > 0 ? samplingRatio : (int)MathF.Ceiling(roiH / outputHeight);
        int gridW = samplingRatio > 0 ? samplingRatio : (int)MathF.Ceiling(roiW / outputWidth);
        return new RoiBins(b, startH, startW, binH, binW, gridH, gridW, outputHeight, outputWidth);
    }

    /// <summary>Sample rows (ph·GridH + iy) and columns (pw·GridW + ix) in feature cells.</summary>
    public void SamplePositions(Span<float> ys, Span<float> xs)
    {
        for (int ph = 0; ph < OutputHeight; ph++)
        {
            for (int iy = 0; iy < GridH; iy++)
            {
                ys[ph * GridH + iy] = StartH + ph * BinH + (iy + .5f) * BinH / GridH;
            }
        }

        for (int pw = 0; pw < OutputWidth; pw++)
        {
            for (int ix = 0; ix < GridW; ix++)
            {
                xs[pw * GridW + ix] = StartW + pw * BinW + (ix + .5f) * BinW / GridW;
            }
        }
    }

    /// <summary>Whether a sample reads the map: RoIAlign reads 0 for samples more than one cell outside it.</summary>
    public static bool Inside(float y, float x, long height, long width) =>
        !(y < -1.0f || y > height || x < -1.0f || x > width);

    /// <summary>RoIAlign's clamping of an inside sample coordinate: below 0 reads cell 0, from the last cell on reads
    /// the last cell.</summary>
    public static float ClampToMap(float p, long size)
    {
        p = MathF.Max(p, 0);
        return (long)p >= size - 1 ? size - 1 : p;
    }
}
