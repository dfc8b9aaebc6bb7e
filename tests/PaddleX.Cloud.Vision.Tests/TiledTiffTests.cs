using BitMiracle.LibTiff.Classic;
using PaddleX.Cloud.Vision.Data;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>Remote-sensing rasters are often tiled TIFFs: <see cref="RasterImage"/> reads them band by band,
/// including the edge tiles that stick out of the picture.</summary>
public sealed class TiledTiffTests : IDisposable
{
    private const int Width = 40, Height = 24, Bands = 3, Tile = 16;

    private readonly string root = TempDir.Create("pdx-tiled-");

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Theory]
    [InlineData(PlanarConfig.CONTIG)]
    [InlineData(PlanarConfig.SEPARATE)]
    public void A_tiled_tiff_reads_every_band_and_pixel(PlanarConfig planar)
    {
        var path = Path.Combine(root, $"tiled-{planar}.tif");
        WriteTiled(path, planar);

        var image = RasterImage.Load(path);
        Assert.Equal((Bands, Width, Height), (image.Channels, image.Width, image.Height));
        for (var c = 0; c < Bands; c++)
        {
            var band = image.Band(c);
            for (var y = 0; y < Height; y++)
            {
                for (var x = 0; x < Width; x++)
                {
                    Assert.Equal(Value(x, y, c), band[(y * Width) + x]);
                }
            }
        }
    }

    private static ushort Value(int x, int y, int c) => (ushort)((c * 5000) + (y * 100) + x + 1);

    private static void WriteTiled(string path, PlanarConfig planar)
    {
        using var tif = Tiff.Open(path, "w");
        tif.SetField(TiffTag.IMAGEWIDTH, Width);
        tif.SetField(TiffTag.IMAGELENGTH, Height);
        tif.SetField(TiffTag.SAMPLESPERPIXEL, Bands);
        tif.SetField(TiffTag.BITSPERSAMPLE, 16);
        tif.SetField(TiffTag.PHOTOMETRIC, Photometric.MINISBLACK);
        tif.SetField(TiffTag.EXTRASAMPLES, Bands - 1, Enumerable.Repeat((short)ExtraSample.UNSPECIFIED, Bands - 1).ToArray());
        tif.SetField(TiffTag.PLANARCONFIG, planar);
        tif.SetField(TiffTag.TILEWIDTH, Tile);
        tif.SetField(TiffTag.TILELENGTH, Tile);
        var contig = planar == PlanarConfig.CONTIG;
        var perPixel = contig ? Bands : 1;
        for (short p = 0; p < (contig ? 1 : Bands); p++)
        {
            for (var ty = 0; ty < Height; ty += Tile)
            {
                for (var tx = 0; tx < Width; tx += Tile)
                {
                    // Parts of an edge tile outside the picture hold junk, which the reader must not use.
                    var tile = new byte[Tile * Tile * perPixel * 2];
                    Array.Fill(tile, (byte)0xAB);
                    for (var y = 0; y < Tile && ty + y < Height; y++)
                    {
                        for (var x = 0; x < Tile && tx + x < Width; x++)
                        {
                            for (var c = 0; c < perPixel; c++)
                            {
                                BitConverter.TryWriteBytes(tile.AsSpan((((y * Tile) + x) * perPixel + c) * 2, 2), Value(tx + x, ty + y, contig ? c : p));
                            }
                        }
                    }

                    Assert.True(tif.WriteTile(tile, tx, ty, 0, p) > 0);
                }
            }
        }
    }
}
