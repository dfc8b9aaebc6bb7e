using PaddleX.Cloud.Vision.Detection.Ops;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Ops;

/// <summary><see cref="MaskPaste"/> against torchvision 0.14's <c>paste_masks_in_image</c> (values printed by it for
/// the same masks and boxes): the one-pixel zero border, the box grown by 30/28 and truncated, the resize to one pixel
/// more than the box difference, and the clipping at the picture's edges.</summary>
public sealed class MaskPasteTests
{
    [Fact]
    public void Pastes_like_torchvision_with_its_padding_and_clipping()
    {
        using var scope = NewDisposeScope();
        var masks = ones(2, 28, 28);
        masks[1, .., 14..] = 0; // left half only
        var boxes = tensor(new float[] { 10, 10, 20, 20, -4.5f, 3.2f, 12.7f, 30.9f }).reshape(2, 4);

        var pasted = MaskPaste.Paste(masks, boxes, 32, 24);

        Assert.Equal([2L, 32, 24], pasted.shape);
        float[] row = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.75f, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.75f, 0, 0, 0];
        AssertClose(tensor(row), pasted[0, 15]);
        float[] clipped = [1, 1, 1, 1, 0.5f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        AssertClose(tensor(clipped), pasted[1, 10]);
        Assert.Equal(132.25, pasted[0].sum().item<float>(), 3);
        Assert.Equal(126.0, pasted[1].sum().item<float>(), 3);
        Assert.Equal([144L, 112L], (pasted > 0.5).sum([1, 2]).data<long>().ToArray());
        var (rows, columns) = ((pasted[1] > 0).any(1).nonzero(), (pasted[1] > 0).any(0).nonzero());
        Assert.Equal((3L, 30L, 0L, 4L), (rows.min().item<long>(), rows.max().item<long>(), columns.min().item<long>(), columns.max().item<long>()));
    }

    [Fact]
    public void No_masks_give_an_empty_stack_of_the_picture_size()
    {
        using var scope = NewDisposeScope();
        Assert.Equal([0L, 8, 9], MaskPaste.Paste(zeros(0, 28, 28), zeros(0, 4), 8, 9).shape);
    }

    /// <summary>The deployment package pastes without TorchSharp (<see cref="Inference.InstanceMask"/>, over ONNX
    /// Runtime's host buffers); both follow one rule, so its masks are these to float precision.</summary>
    [Fact]
    public void The_deployment_package_pastes_the_same_masks()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        const int side = 28, width = 37, height = 29;
        var masks = rand(4, side, side);
        var boxes = tensor(new float[] { 3.3f, 2.1f, 20.6f, 17.9f, -6f, 5.5f, 9.2f, 40f, 30.4f, 20.2f, 36.9f, 28.7f, 10f, 10f, 10.4f, 10.3f }).reshape(4, 4);
        var pasted = MaskPaste.Paste(masks, boxes, height, width);
        float[] flat = masks.data<float>().ToArray(), corners = boxes.data<float>().ToArray();
        for (int k = 0; k < 4; k++)
        {
            var deployed = Inference.InstanceMask.Paste(flat.AsSpan(k * side * side, side * side), side,
                corners[4 * k], corners[(4 * k) + 1], corners[(4 * k) + 2], corners[(4 * k) + 3], width, height);
            var dense = new float[width * height];
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    dense[(y * width) + x] = deployed.At(x, y);
                }
            }

            AssertClose(pasted[k].flatten(), tensor(dense));
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual) =>
        Assert.True(expected.allclose(actual, atol: 1e-5), $"expected {Show(expected)}, got {Show(actual)}");

    private static string Show(Tensor t) => string.Join(", ", t.data<float>().ToArray());
}
