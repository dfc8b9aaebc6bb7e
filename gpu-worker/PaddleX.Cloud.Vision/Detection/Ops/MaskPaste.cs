using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// Pastes fixed-size instance masks (Mask R-CNN's 28×28 probabilities) into a picture at their boxes, as torchvision's
/// <c>paste_masks_in_image</c> does: each mask gets a border of zeros and its box grows by the same share, so the
/// mask's edge fades out instead of being cut at the box; the grown box is truncated to whole pixels, the mask resized
/// bilinearly to it (one pixel wider and taller than the box difference) and copied into the picture where they overlap.
/// </summary>
public static class MaskPaste
{
    /// <summary>[K, <paramref name="height"/>, <paramref name="width"/>] float32 from <paramref name="masks"/> [K, M, M]
    /// and <paramref name="boxes"/> [K, 4] (x1, y1, x2, y2 in the picture's pixels).</summary>
    public static Tensor Paste(Tensor masks, Tensor boxes, long height, long width, int padding = 1)
    {
        if (masks.dim() != 3 || boxes.dim() != 2 || boxes.shape[1] != 4 || masks.shape[0] != boxes.shape[0])
        {
            throw new ArgumentException($"need masks [K, M, M] and boxes [K, 4], got [{string.Join(", ", masks.shape)}] and [{string.Join(", ", boxes.shape)}]");
        }

        var count = masks.shape[0];
        var result = zeros(count, height, width, dtype: ScalarType.Float32, device: masks.device);
        if (count == 0)
        {
            return result;
        }

        using var scope = NewDisposeScope();
        var m = masks.shape[^1];
        var padded = functional.pad(masks.to(ScalarType.Float32), [padding, padding, padding, padding]);
        var scale = (double)(m + 2 * padding) / m;
        var grown = Grow(boxes.to(ScalarType.Float32), scale).to(ScalarType.Int64);
        var corners = HostArrays.Of<long>(grown, ScalarType.Int64);
        for (var k = 0; k < count; k++)
        {
            long x1 = corners[4 * k], y1 = corners[(4 * k) + 1], x2 = corners[(4 * k) + 2], y2 = corners[(4 * k) + 3];
            long w = Math.Max(x2 - x1 + 1, 1), h = Math.Max(y2 - y1 + 1, 1);
            long left = Math.Max(x1, 0), right = Math.Min(x2 + 1, width), top = Math.Max(y1, 0), bottom = Math.Min(y2 + 1, height);
            if (right <= left || bottom <= top)
            {
                continue;
            }

            var resized = functional.interpolate(padded[k].unsqueeze(0).unsqueeze(0), [h, w], mode: InterpolationMode.Bilinear, align_corners: false)[0, 0];
            result[k, TensorIndex.Slice(top, bottom), TensorIndex.Slice(left, right)] =
                resized[TensorIndex.Slice(top - y1, bottom - y1), TensorIndex.Slice(left - x1, right - x1)];
        }

        return result;
    }

    /// <summary>Boxes scaled about their centres by <paramref name="scale"/>.</summary>
    private static Tensor Grow(Tensor boxes, double scale)
    {
        var halfW = (boxes[.., 2] - boxes[.., 0]) * 0.5 * scale;
        var halfH = (boxes[.., 3] - boxes[.., 1]) * 0.5 * scale;
        var cx = (boxes[.., 2] + boxes[.., 0]) * 0.5;
        var cy = (boxes[.., 3] + boxes[.., 1]) * 0.5;
        return stack([cx - halfW, cy - halfH, cx + halfW, cy + halfH], 1);
    }
}
