using PaddleX.Cloud.Datasets.Formats;

namespace PaddleX.Cloud.Vision.Detection.Metrics;

/// <summary>
/// The COCO mask API (pycocotools' <c>mask</c> module) over <see cref="Rle"/>: encode/decode, COCO's compressed
/// count strings, polygon and box rasterisation, area, bounding box, union/intersection and IoU. Results are the
/// same as pycocotools' bit for bit, which is why polygon rasterisation follows its 5× upsampled boundary walk
/// instead of a scan-line fill.
/// </summary>
public static class CocoMask
{
    /// <summary>Run-length encodes a column-major mask (pixel (y, x) at <c>x * height + y</c>, non-zero = foreground).</summary>
    public static Rle Encode(ReadOnlySpan<byte> columnMajor, int height, int width)
    {
        if (columnMajor.Length != height * width)
        {
            throw new ArgumentException($"the mask has {columnMajor.Length} pixels, not {height}×{width}");
        }

        var counts = new List<uint>();
        byte previous = 0;
        uint run = 0;
        foreach (var pixel in columnMajor)
        {
            var value = pixel != 0 ? (byte)1 : (byte)0;
            if (value != previous)
            {
                counts.Add(run);
                run = 0;
                previous = value;
            }

            run++;
        }

        counts.Add(run);
        return new Rle(height, width, [.. counts]);
    }

    /// <summary>The mask as column-major bytes (1 = foreground).</summary>
    public static byte[] Decode(Rle rle)
    {
        var mask = new byte[rle.Height * rle.Width];
        var position = 0;
        byte value = 0;
        foreach (var count in rle.Counts)
        {
            if (position + (long)count > mask.Length)
            {
                throw new InvalidDataException($"the RLE counts cover more than its {rle.Height}×{rle.Width} pixels");
            }

            mask.AsSpan(position, (int)count).Fill(value);
            position += (int)count;
            value ^= 1;
        }

        return mask;
    }

    /// <summary>COCO's compressed counts string.</summary>
    public static string ToCompressedString(Rle rle) => CocoRleCounts.Encode(rle.Counts);

    public static Rle FromCompressedString(string counts, int height, int width) =>
        CocoRleCounts.IsWellFormed(counts)
            ? new Rle(height, width, CocoRleCounts.Decode(counts))
            : throw new InvalidDataException("the compressed RLE string has characters outside '0'…'o' or ends inside a count");

    /// <summary>Union (or intersection) of masks of one size; pycocotools gives an empty 0×0 RLE when the sizes differ.</summary>
    public static Rle Merge(IReadOnlyList<Rle> rles, bool intersect)
    {
        if (rles.Count == 0)
        {
            return new Rle(0, 0, []);
        }

        int h = rles[0].Height, w = rles[0].Width;
        var counts = (uint[])rles[0].Counts.Clone();
        for (var r = 1; r < rles.Count; r++)
        {
            var b = rles[r];
            if (b.Height != h || b.Width != w)
            {
                return new Rle(0, 0, []);
            }

            counts = MergePair(counts, b.Counts, intersect);
        }

        return new Rle(h, w, counts);
    }

    private static uint[] MergePair(uint[] a, uint[] b, bool intersect)
    {
        var merged = new List<uint>(a.Length + b.Length);
        var walk = new RunPairs(a, b);
        var v = false;
        uint cc = 0, left = 1;
        while (left > 0)
        {
            cc += walk.Next(out left);
            var previous = v;
            v = intersect ? walk.A && walk.B : walk.A || walk.B;
            if (v != previous || left == 0)
            {
                merged.Add(cc);
                cc = 0;
            }
        }

        return [.. merged];
    }

    /// <summary>Walks two run-length encodings of one size together, one stretch at a time over which neither
    /// changes value (stretches may be empty where a run is). <see cref="A"/> and <see cref="B"/> are the values
    /// of the stretch <see cref="Next"/> takes next.</summary>
    private sealed class RunPairs(uint[] a, uint[] b)
    {
        private uint ca = a.Length > 0 ? a[0] : 0;
        private uint cb = b.Length > 0 ? b[0] : 0;
        private int ia = 1;
        private int ib = 1;

        public bool A { get; private set; }

        public bool B { get; private set; }

        /// <summary>Takes the next stretch and returns its length; <paramref name="left"/> is what remains of the
        /// two current runs afterwards (0 at the end).</summary>
        public uint Next(out uint left)
        {
            var c = Math.Min(ca, cb);
            ca -= c;
            if (ca == 0 && ia < a.Length)
            {
                ca = a[ia++];
                A = !A;
            }

            cb -= c;
            if (cb == 0 && ib < b.Length)
            {
                cb = b[ib++];
                B = !B;
            }

            left = ca + cb;
            return c;
        }
    }

    /// <summary>Tight box <c>[x, y, w, h]</c> of the foreground (all zeros for an empty mask).</summary>
    public static double[] ToBbox(Rle rle)
    {
        var h = (uint)rle.Height;
        var m = rle.Counts.Length / 2 * 2;
        if (m == 0)
        {
            return [0, 0, 0, 0];
        }

        uint xs = (uint)rle.Width, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
        for (var j = 0; j < m; j++)
        {
            cc += rle.Counts[j];
            var t = cc - (uint)(j % 2);
            var y = t % h;
            var x = (t - y) / h;
            if (j % 2 == 0)
            {
                xp = x;
            }
            else if (xp < x)
            {
                // The run wraps into another column: it spans the full height.
                ys = 0;
                ye = h - 1;
            }

            xs = Math.Min(xs, x);
            xe = Math.Max(xe, x);
            ys = Math.Min(ys, y);
            ye = Math.Max(ye, y);
        }

        return [xs, ys, xe - xs + 1, ye - ys + 1];
    }

    /// <summary>A box <c>[x, y, w, h]</c> rasterised as the polygon of its corners.</summary>
    public static Rle FromBbox(IReadOnlyList<double> box, int height, int width)
    {
        double xs = box[0], xe = xs + box[2], ys = box[1], ye = ys + box[3];
        return FromPolygon([xs, ys, xs, ye, xe, ye, xe, ys], height, width);
    }

    /// <summary>pycocotools' <c>frPyObjects</c> for a list of polygons: one RLE each. As there, a list whose first
    /// entry has exactly four numbers is read as boxes <c>[x, y, w, h]</c>.</summary>
    public static List<Rle> FromPyObjects(IReadOnlyList<double[]> polygonsOrBoxes, int height, int width)
    {
        if (polygonsOrBoxes.Count == 0)
        {
            return [];
        }

        var boxes = polygonsOrBoxes[0].Length == 4;
        return polygonsOrBoxes.Select(p => boxes ? FromBbox(p, height, width) : FromPolygon(p, height, width)).ToList();
    }

    /// <summary>Rasterises one polygon <c>[x1, y1, x2, y2, …]</c> (pixel centres at integer coordinates).</summary>
    public static Rle FromPolygon(IReadOnlyList<double> xy, int height, int width)
    {
        const double scale = 5;
        var k = xy.Count / 2;
        var x = new int[k + 1];
        var y = new int[k + 1];
        for (var j = 0; j < k; j++)
        {
            x[j] = (int)((scale * xy[j * 2]) + .5);
            y[j] = (int)((scale * xy[(j * 2) + 1]) + .5);
        }

        if (k > 0)
        {
            x[k] = x[0];
            y[k] = y[0];
        }

        // Densely sampled boundary points of the upsampled polygon.
        var u = new List<int>();
        var v = new List<int>();
        for (var j = 0; j < k; j++)
        {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            int dx = Math.Abs(xe - xs), dy = Math.Abs(ys - ye);
            var flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip)
            {
                (xs, xe) = (xe, xs);
                (ys, ye) = (ye, ys);
            }

            var s = dx >= dy ? (double)(ye - ys) / dx : (double)(xe - xs) / dy;
            if (dx >= dy)
            {
                for (var d = 0; d <= dx; d++)
                {
                    var t = flip ? dx - d : d;
                    u.Add(t + xs);
                    v.Add((int)(ys + (s * t) + .5));
                }
            }
            else
            {
                for (var d = 0; d <= dy; d++)
                {
                    var t = flip ? dy - d : d;
                    v.Add(t + ys);
                    u.Add((int)(xs + (s * t) + .5));
                }
            }
        }

        // Boundary crossings of each pixel column, downsampled to the mask grid.
        var starts = new List<uint>();
        for (var j = 1; j < u.Count; j++)
        {
            if (u[j] == u[j - 1])
            {
                continue;
            }

            double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
            xd = ((xd + .5) / scale) - .5;
            if (Math.Floor(xd) != xd || xd < 0 || xd > width - 1)
            {
                continue;
            }

            double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
            yd = ((yd + .5) / scale) - .5;
            yd = yd < 0 ? 0 : yd > height ? height : yd;
            yd = Math.Ceiling(yd);
            starts.Add(unchecked((uint)(((int)xd * height) + (int)yd)));
        }

        starts.Add(unchecked((uint)(height * width)));
        starts.Sort();
        uint previous = 0;
        for (var j = 0; j < starts.Count; j++)
        {
            var t = starts[j];
            starts[j] -= previous;
            previous = t;
        }

        // Zero-length runs join their neighbours.
        var counts = new List<uint> { starts[0] };
        for (var j = 1; j < starts.Count;)
        {
            if (starts[j] > 0)
            {
                counts.Add(starts[j++]);
            }
            else
            {
                j++;
                if (j < starts.Count)
                {
                    counts[^1] += starts[j++];
                }
            }
        }

        return new Rle(height, width, [.. counts]);
    }

    /// <summary>IoU of each detection box with each ground-truth box (<c>[x, y, w, h]</c>), [dt, gt]. Against a crowd
    /// box the union is the detection's own area.</summary>
    public static double[,] BoxIou(IReadOnlyList<double[]> dt, IReadOnlyList<double[]> gt, IReadOnlyList<bool> isCrowd)
    {
        var o = new double[dt.Count, gt.Count];
        for (var g = 0; g < gt.Count; g++)
        {
            var gb = gt[g];
            var ga = gb[2] * gb[3];
            for (var d = 0; d < dt.Count; d++)
            {
                o[d, g] = BoxIou(dt[d], gb, ga, isCrowd[g]);
            }
        }

        return o;
    }

    private static double BoxIou(double[] db, double[] gb, double ga, bool crowd)
    {
        var da = db[2] * db[3];
        var w = Math.Min(db[2] + db[0], gb[2] + gb[0]) - Math.Max(db[0], gb[0]);
        if (w <= 0)
        {
            return 0;
        }

        var h = Math.Min(db[3] + db[1], gb[3] + gb[1]) - Math.Max(db[1], gb[1]);
        if (h <= 0)
        {
            return 0;
        }

        var i = w * h;
        return i / (crowd ? da : da + ga - i);
    }

    /// <summary>Mask IoU, [dt, gt]; −1 where the sizes differ. Against a crowd mask the union is the detection's area.</summary>
    public static double[,] Iou(IReadOnlyList<Rle> dt, IReadOnlyList<Rle> gt, IReadOnlyList<bool> isCrowd)
    {
        var dtBoxes = dt.Select(ToBbox).ToList();
        var gtBoxes = gt.Select(ToBbox).ToList();
        var o = BoxIou(dtBoxes, gtBoxes, isCrowd);
        for (var g = 0; g < gt.Count; g++)
        {
            for (var d = 0; d < dt.Count; d++)
            {
                if (o[d, g] > 0)
                {
                    o[d, g] = MaskIou(dt[d], gt[g], isCrowd[g]);
                }
            }
        }

        return o;
    }

    private static double MaskIou(Rle dt, Rle gt, bool crowd)
    {
        if (dt.Height != gt.Height || dt.Width != gt.Width)
        {
            return -1;
        }

        var walk = new RunPairs(dt.Counts, gt.Counts);
        uint i = 0, u = 0, left = 1;
        while (left > 0)
        {
            bool inDt = walk.A, inGt = walk.B;
            var c = walk.Next(out left);
            if (inDt || inGt)
            {
                u += c;
                if (inDt && inGt)
                {
                    i += c;
                }
            }
        }

        if (i == 0)
        {
            u = 1;
        }
        else if (crowd)
        {
            u = (uint)dt.Area;
        }

        return (double)i / u;
    }
}
