namespace PaddleX.Cloud.Vision.Detection.Metrics;

/// <summary>
/// COCO detection evaluation with the semantics of pycocotools' COCOeval: <see cref="Evaluate"/> matches detections
/// to ground truth per image and category (greedy by score, crowd regions absorbing any number of detections,
/// ground truth outside the area range ignored), <see cref="Accumulate"/> builds the interpolated
/// <see cref="Precision"/>[T, R, K, A, M], <see cref="Recall"/>[T, K, A, M] and <see cref="Scores"/> (−1 where a
/// category has no ground truth), and <see cref="Summarize"/> gives the 12 standard numbers.
/// </summary>
public sealed class CocoEvaluator
{
    private readonly Dictionary<(long Image, long Category), List<Instance>> gts = [];
    private readonly Dictionary<(long Image, long Category), List<Instance>> dts = [];
    private readonly Dictionary<(long Image, long Category), double[,]?> ious = [];
    // numpy's spacing(1), which COCOeval adds to the precision denominator.
    private const double NumpySpacingOfOne = 2.220446049250313e-16;

    private ImageResult?[,,]? evalImages;
    private CocoEvalParams? evaluated;

    public CocoEvaluator(CocoDataset groundTruth, IReadOnlyList<CocoResult> detections, CocoIouType iouType)
    {
        GroundTruth = groundTruth;
        Detections = detections;
        Params = new CocoEvalParams
        {
            IouType = iouType,
            ImageIds = [.. groundTruth.Images.Select(i => i.Id).Distinct().Order()],
            CategoryIds = [.. groundTruth.Categories.Select(c => c.Id).Distinct().Order()],
        };
    }

    public CocoDataset GroundTruth { get; }

    public IReadOnlyList<CocoResult> Detections { get; }

    public CocoEvalParams Params { get; }

    /// <summary>[T, R, K, A, M] interpolated precision; −1 for a category without (non-ignored) ground truth.</summary>
    public double[,,,,] Precision { get; private set; } = new double[0, 0, 0, 0, 0];

    /// <summary>[T, K, A, M] recall at the last detection; −1 for a category without ground truth.</summary>
    public double[,,,] Recall { get; private set; } = new double[0, 0, 0, 0];

    /// <summary>[T, R, K, A, M] detection score at each recall threshold.</summary>
    public double[,,,,] Scores { get; private set; } = new double[0, 0, 0, 0, 0];

    /// <summary>The 12 numbers of <see cref="Summarize"/> (AP, AP50, AP75, AP S/M/L, AR1, AR10, AR100, AR S/M/L).</summary>
    public double[] Stats { get; private set; } = [];

    /// <summary>Evaluates, accumulates and summarises with the default parameters, after <paramref name="configure"/>.</summary>
    public static CocoEvaluator Run(CocoDataset groundTruth, IReadOnlyList<CocoResult> detections, CocoIouType iouType, Action<CocoEvalParams>? configure = null)
    {
        var evaluator = new CocoEvaluator(groundTruth, detections, iouType);
        configure?.Invoke(evaluator.Params);
        evaluator.Evaluate();
        evaluator.Accumulate();
        evaluator.Summarize();
        return evaluator;
    }

    public void Evaluate()
    {
        var p = Params;
        p.ImageIds = [.. p.ImageIds.Distinct().Order()];
        p.CategoryIds = [.. p.CategoryIds.Distinct().Order()];
        p.MaxDetections = [.. p.MaxDetections.Order()];
        Prepare();
        ious.Clear();
        foreach (var image in p.ImageIds)
        {
            foreach (var category in p.CategoryIds)
            {
                ious[(image, category)] = ComputeIou(image, category);
            }
        }

        var maxDet = p.MaxDetections[^1];
        evalImages = new ImageResult?[p.CategoryIds.Count, p.AreaRanges.Length, p.ImageIds.Count];
        for (var k = 0; k < p.CategoryIds.Count; k++)
        {
            for (var a = 0; a < p.AreaRanges.Length; a++)
            {
                for (var i = 0; i < p.ImageIds.Count; i++)
                {
                    evalImages[k, a, i] = EvaluateImage(p.ImageIds[i], p.CategoryIds[k], p.AreaRanges[a], maxDet);
                }
            }
        }

        evaluated = p;
    }

    private void Prepare()
    {
        gts.Clear();
        dts.Clear();
        var images = GroundTruth.Images.ToDictionary(i => i.Id);
        var wantedImages = Params.ImageIds.ToHashSet();
        var wantedCategories = Params.CategoryIds.ToHashSet();
        var segm = Params.IouType == CocoIouType.Segm;
        foreach (var ann in GroundTruth.Annotations)
        {
            if (!wantedImages.Contains(ann.ImageId) || !wantedCategories.Contains(ann.CategoryId))
            {
                continue;
            }

            if (!images.TryGetValue(ann.ImageId, out var image))
            {
                throw new InvalidDataException($"annotation {ann.Id} refers to image {ann.ImageId}, which the ground truth does not have");
            }

            if (!segm && ann.Bbox.Length != 4)
            {
                throw new InvalidDataException($"annotation {ann.Id} has no [x, y, w, h] box");
            }

            Rle? mask = null;
            if (segm)
            {
                mask = (ann.Segmentation ?? throw new InvalidDataException($"annotation {ann.Id} has no segmentation")).ToRle(image.Height, image.Width);
            }

            // COCOeval ignores exactly the crowd regions (its `ignore` field is overwritten by `iscrowd`).
            Add(gts, new Instance(ann.Id, ann.ImageId, ann.CategoryId, 0, ann.Area, ann.IsCrowd != 0, ann.Bbox, mask));
        }

        foreach (var det in LoadResults(GroundTruth, Detections, segm))
        {
            if (wantedImages.Contains(det.ImageId) && wantedCategories.Contains(det.CategoryId))
            {
                Add(dts, det);
            }
        }
    }

    private static void Add(Dictionary<(long, long), List<Instance>> index, Instance instance)
    {
        if (!index.TryGetValue((instance.ImageId, instance.CategoryId), out var list))
        {
            index[(instance.ImageId, instance.CategoryId)] = list = [];
        }

        list.Add(instance);
    }

    /// <summary>pycocotools' <c>loadRes</c>: ids 1…n in result order; with boxes the area is w·h (and a box is its
    /// own polygon for segm), otherwise the mask area and box come from the RLE.</summary>
    private static List<Instance> LoadResults(CocoDataset groundTruth, IReadOnlyList<CocoResult> results, bool segm)
    {
        if (results.Count == 0)
        {
            return [];
        }

        var images = groundTruth.Images.ToDictionary(i => i.Id);
        var missing = results.FirstOrDefault(r => !images.ContainsKey(r.ImageId));
        if (missing is not null)
        {
            throw new InvalidDataException($"a result refers to image {missing.ImageId}, which the ground truth does not have");
        }

        var byBox = results[0].Bbox is { Length: > 0 };
        var list = new List<Instance>(results.Count);
        for (var n = 0; n < results.Count; n++)
        {
            var r = results[n];
            var image = images[r.ImageId];
            if (byBox)
            {
                var bb = r.Bbox is { Length: 4 } b ? b : throw new InvalidDataException($"result {n} has no [x, y, w, h] box");
                Rle? mask = null;
                if (segm)
                {
                    var seg = r.Segmentation ?? CocoSegmentation.FromPolygons([[bb[0], bb[1], bb[0], bb[1] + bb[3], bb[0] + bb[2], bb[1] + bb[3], bb[0] + bb[2], bb[1]]]);
                    mask = seg.ToRle(image.Height, image.Width);
                }

                list.Add(new Instance(n + 1, r.ImageId, r.CategoryId, r.Score, bb[2] * bb[3], false, bb, mask));
            }
            else
            {
                var mask = (r.Segmentation ?? throw new InvalidDataException($"result {n} has neither a box nor a segmentation")).ToRle(image.Height, image.Width);
                list.Add(new Instance(n + 1, r.ImageId, r.CategoryId, r.Score, mask.Area, false, CocoMask.ToBbox(mask), mask));
            }
        }

        return list;
    }

    private List<Instance> Gt(long image, long category) => gts.TryGetValue((image, category), out var l) ? l : [];

    private List<Instance> Dt(long image, long category) => dts.TryGetValue((image, category), out var l) ? l : [];

    private static List<Instance> ByScore(List<Instance> dt, int limit) => dt.OrderByDescending(d => d.Score).Take(limit).ToList();

    private double[,]? ComputeIou(long image, long category)
    {
        var gt = Gt(image, category);
        var dt = ByScore(Dt(image, category), Params.MaxDetections[^1]);
        if (gt.Count == 0 || dt.Count == 0)
        {
            return null;
        }

        var crowd = gt.Select(g => g.IsCrowd).ToList();
        return Params.IouType == CocoIouType.Segm
            ? CocoMask.Iou(dt.Select(d => d.Mask!).ToList(), gt.Select(g => g.Mask!).ToList(), crowd)
            : CocoMask.BoxIou(dt.Select(d => d.Box).ToList(), gt.Select(g => g.Box).ToList(), crowd);
    }

    private ImageResult? EvaluateImage(long image, long category, (double Min, double Max) range, int maxDet)
    {
        var allGt = Gt(image, category);
        var allDt = Dt(image, category);
        if (allGt.Count == 0 && allDt.Count == 0)
        {
            return null;
        }

        var outside = allGt.Select(g => g.IsCrowd || g.Area < range.Min || g.Area > range.Max).ToArray();
        var gtOrder = Enumerable.Range(0, allGt.Count).OrderBy(i => outside[i] ? 1 : 0).ToArray();
        var gt = gtOrder.Select(i => allGt[i]).ToArray();
        var gtIgnore = gtOrder.Select(i => outside[i]).ToArray();
        var dt = ByScore(allDt, maxDet);
        var iou = ious[(image, category)];
        var thresholds = Params.IouThresholds;
        int t = thresholds.Length, g = gt.Length, d = dt.Count;
        var gtMatch = new long[t, g];
        var dtMatch = new long[t, d];
        var dtIgnore = new bool[t, d];
        if (iou is not null)
        {
            for (var ti = 0; ti < t; ti++)
            {
                for (var di = 0; di < d; di++)
                {
                    var best = Math.Min(thresholds[ti], 1 - 1e-10);
                    var m = -1;
                    for (var gi = 0; gi < g; gi++)
                    {
                        if (gtMatch[ti, gi] > 0 && !gt[gi].IsCrowd)
                        {
                            continue;
                        }

                        // Matched to a regular object already: the ignored ones sorted after it cannot win.
                        if (m > -1 && !gtIgnore[m] && gtIgnore[gi])
                        {
                            break;
                        }

                        var value = iou[di, gtOrder[gi]];
                        if (value < best)
                        {
                            continue;
                        }

                        best = value;
                        m = gi;
                    }

                    if (m == -1)
                    {
                        continue;
                    }

                    dtIgnore[ti, di] = gtIgnore[m];
                    dtMatch[ti, di] = gt[m].Id;
                    gtMatch[ti, m] = dt[di].Id;
                }
            }
        }

        for (var di = 0; di < d; di++)
        {
            var tooSmallOrLarge = dt[di].Area < range.Min || dt[di].Area > range.Max;
            for (var ti = 0; ti < t; ti++)
            {
                // As in COCOeval, a match is known by a non-zero ground-truth id.
                dtIgnore[ti, di] |= dtMatch[ti, di] == 0 && tooSmallOrLarge;
            }
        }

        return new ImageResult(dt.Select(x => x.Score).ToArray(), dtMatch, dtIgnore, gtIgnore);
    }

    public void Accumulate()
    {
        var p = evaluated ?? throw new InvalidOperationException("Evaluate() first");
        var images = evalImages!;
        int t = p.IouThresholds.Length, r = p.RecallThresholds.Length, k = p.CategoryIds.Count, a = p.AreaRanges.Length, m = p.MaxDetections.Length;
        var precision = Filled(new double[t, r, k, a, m]);
        var recall = new double[t, k, a, m];
        var scores = Filled(new double[t, r, k, a, m]);
        foreach (ref var x in System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref recall[0, 0, 0, 0], recall.Length))
        {
            x = -1;
        }

        for (var ki = 0; ki < k; ki++)
        {
            for (var ai = 0; ai < a; ai++)
            {
                for (var mi = 0; mi < m; mi++)
                {
                    var maxDet = p.MaxDetections[mi];
                    var e = Enumerable.Range(0, p.ImageIds.Count).Select(i => images[ki, ai, i]).Where(x => x is not null).Select(x => x!).ToList();
                    if (e.Count == 0)
                    {
                        continue;
                    }

                    var entries = e.SelectMany(x => Enumerable.Range(0, Math.Min(maxDet, x.Scores.Length)).Select(j => (Image: x, Index: j))).ToList();
                    var order = Enumerable.Range(0, entries.Count).OrderByDescending(j => entries[j].Image.Scores[entries[j].Index]).ToArray();
                    var npig = e.Sum(x => x.GtIgnore.Count(ig => !ig));
                    if (npig == 0)
                    {
                        continue;
                    }

                    for (var ti = 0; ti < t; ti++)
                    {
                        var nd = order.Length;
                        var rc = new double[nd];
                        var pr = new double[nd];
                        double tp = 0, fp = 0;
                        for (var j = 0; j < nd; j++)
                        {
                            var (image, index) = entries[order[j]];
                            if (!image.DtIgnore[ti, index])
                            {
                                if (image.DtMatch[ti, index] != 0)
                                {
                                    tp++;
                                }
                                else
                                {
                                    fp++;
                                }
                            }

                            rc[j] = tp / npig;
                            pr[j] = tp / (fp + tp + NumpySpacingOfOne);
                        }

                        recall[ti, ki, ai, mi] = nd > 0 ? rc[^1] : 0;
                        for (var j = nd - 1; j > 0; j--)
                        {
                            if (pr[j] > pr[j - 1])
                            {
                                pr[j - 1] = pr[j];
                            }
                        }

                        for (var ri = 0; ri < r; ri++)
                        {
                            var pi = LowerBound(rc, p.RecallThresholds[ri]);
                            if (pi >= nd)
                            {
                                // Recall never reaches this threshold (nor the ones above): precision 0 there.
                                for (var rest = ri; rest < r; rest++)
                                {
                                    precision[ti, rest, ki, ai, mi] = 0;
                                    scores[ti, rest, ki, ai, mi] = 0;
                                }

                                break;
                            }

                            precision[ti, ri, ki, ai, mi] = pr[pi];
                            var (image, index) = entries[order[pi]];
                            scores[ti, ri, ki, ai, mi] = image.Scores[index];
                        }
                    }
                }
            }
        }

        Precision = precision;
        Recall = recall;
        Scores = scores;
    }

    private static double[,,,,] Filled(double[,,,,] array)
    {
        if (array.Length > 0)
        {
            System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref array[0, 0, 0, 0, 0], array.Length).Fill(-1);
        }

        return array;
    }

    private static int LowerBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>COCOeval's 12 summary numbers; each is the mean over the entries that are not −1 (−1 when none).</summary>
    public double[] Summarize()
    {
        var maxDets = Params.MaxDetections;
        int Det(int i) => maxDets.Length > i ? maxDets[i] : -1;
        Stats =
        [
            Mean(true, null, "all", 100),
            Mean(true, .5, "all", Det(2)),
            Mean(true, .75, "all", Det(2)),
            Mean(true, null, "small", Det(2)),
            Mean(true, null, "medium", Det(2)),
            Mean(true, null, "large", Det(2)),
            Mean(false, null, "all", Det(0)),
            Mean(false, null, "all", Det(1)),
            Mean(false, null, "all", Det(2)),
            Mean(false, null, "small", Det(2)),
            Mean(false, null, "medium", Det(2)),
            Mean(false, null, "large", Det(2)),
        ];
        return Stats;
    }

    /// <summary>COCOeval's <c>_summarize</c>: mean precision (<paramref name="precision"/>) or recall over all
    /// thresholds (or the one equal to <paramref name="iouThreshold"/>), categories and recall points of one area
    /// range and detection limit, skipping −1 entries; −1 when nothing is left.</summary>
    public double Mean(bool precision, double? iouThreshold, string areaLabel, int maxDetections)
    {
        var p = Params;
        var ts = Enumerable.Range(0, p.IouThresholds.Length).Where(t => iouThreshold is null || p.IouThresholds[t] == iouThreshold).ToList();
        var areas = Enumerable.Range(0, p.AreaLabels.Length).Where(a => p.AreaLabels[a] == areaLabel).ToList();
        var dets = Enumerable.Range(0, p.MaxDetections.Length).Where(m => p.MaxDetections[m] == maxDetections).ToList();
        double sum = 0;
        long n = 0;
        foreach (var t in ts)
        {
            foreach (var a in areas)
            {
                foreach (var m in dets)
                {
                    for (var k = 0; k < Recall.GetLength(1); k++)
                    {
                        if (precision)
                        {
                            for (var r = 0; r < Precision.GetLength(1); r++)
                            {
                                Take(Precision[t, r, k, a, m]);
                            }
                        }
                        else
                        {
                            Take(Recall[t, k, a, m]);
                        }
                    }
                }
            }
        }

        return n == 0 ? -1 : sum / n;

        void Take(double v)
        {
            if (v > -1)
            {
                sum += v;
                n++;
            }
        }
    }

    private sealed record Instance(long Id, long ImageId, long CategoryId, double Score, double Area, bool IsCrowd, double[] Box, Rle? Mask);

    private sealed record ImageResult(double[] Scores, long[,] DtMatch, bool[,] DtIgnore, bool[] GtIgnore);
}
