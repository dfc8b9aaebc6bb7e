using PaddleX.Cloud.Vision.Data;
using SkiaSharp;

namespace PaddleX.Cloud.Vision.Tests;

public class ImageDecodeTests
{
    [Fact]
    public void Decodes_bmp_jpeg_and_png_to_rgb()
    {
        string dir = TempDir.Create();
        try
        {
            string bmp = Path.Combine(dir, "a.bmp");
            File.WriteAllBytes(bmp, TestImages.Bmp(8, 4, (x, y) => x < 4 ? ((byte)250, (byte)10, (byte)10) : ((byte)10, (byte)10, (byte)250)));
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
