using PaddleX.Cloud.Vision.Data;
using SkiaSharp;

namespace PaddleX.Cloud.Vision.Tests;

public class ImageDecodeTests
{
    /// <summary>A 24-bit bottom-up BMP (BGR rows padded to 4 bytes).</summary>
    private static byte[] Bmp(int w, int h, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        int stride = (w * 3 + 3) & ~3, size = 54 + stride * h;
        var b = new byte[size];
        b[0] = (byte)'B';
        b[1] = (byte)'M';
        BitConverter.GetBytes(size).CopyTo(b, 2);
        BitConverter.GetBytes(54).CopyTo(b, 10);
        BitConverter.GetBytes(40).CopyTo(b, 14);
        BitConverter.GetBytes(w).CopyTo(b, 18);
        BitConverter.GetBytes(h).CopyTo(b, 22);
        BitConverter.GetBytes((short)1).CopyTo(b, 26);
        BitConverter.GetBytes((short)24).CopyTo(b, 28);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                var (r, g, bl) = pixel(x, y);
                int o = 54 + (h - 1 - y) * stride + x * 3;
                b[o] = bl;
                b[o + 1] = g;
                b[o + 2] = r;
            }
        }

        return b;
    }

    [Fact]
    public void Decodes_bmp_jpeg_and_png_to_rgb()
    {
        string dir = TempDir.Create();
        try
        {
            string bmp = Path.Combine(dir, "a.bmp");
            File.WriteAllBytes(bmp, Bmp(8, 4, (x, y) => x < 4 ? ((byte)250, (byte)10, (byte)10) : ((byte)10, (byte)10, (byte)250)));
            using (SKBitmap d = ImageIO.Decode(bmp))
            {
                Assert.Equal(8, d.Width);
                Assert.Equal(4, d.Height);
                Assert.Equal(new SKColor(250, 10, 10), d.GetPixel(0, 0));
                Assert.Equal(new SKColor(10, 10, 250), d.GetPixel(7, 3));
            }

            using var source = new SKBitmap(new SKImageInfo(16, 16, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            source.Erase(new SKColor(20, 200, 40));
            using SKImage image = SKImage.FromBitmap(source);
            foreach (var (ext, format) in new[] { (".jpg", SKEncodedImageFormat.Jpeg), (".png", SKEncodedImageFormat.Png) })
            {
                string path = Path.Combine(dir, "b" + ext);
                using (SKData data = image.Encode(format, 95))
                {
                    File.WriteAllBytes(path, data.ToArray());
                }

                var t = new ClassificationTransforms(32, 32, [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]);
                var buf = new float[t.SampleLength];
                t.Apply(path, null, buf);
                Assert.InRange(buf[0] * 255, 15, 25);
                Assert.InRange(buf[1024] * 255, 195, 205);
                Assert.InRange(buf[2048] * 255, 35, 45);
            }

            File.WriteAllText(Path.Combine(dir, "c.jpg"), "not a picture");
            Assert.Throws<InvalidDataException>(() => ImageIO.Decode(Path.Combine(dir, "c.jpg")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
