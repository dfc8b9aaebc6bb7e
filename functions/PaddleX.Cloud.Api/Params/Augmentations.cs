using System.Text.Json.Nodes;

namespace PaddleX.Cloud.Api.Params;

/// <summary>The flip and colour-jitter switches with their probabilities and ranges, which both the
/// stored parameters and the recommendations carry.</summary>
internal static class Augmentations
{
    public static void Add(JsonObject p, double range, bool saturationAndHue)
    {
        p["horizontal_flip"] = true;
        p["horizontal_flip_prob"] = 0.5;
        foreach (var jitter in new[] { "brightness", "contrast", "saturation" })
        {
            p[jitter] = jitter is not "saturation" || saturationAndHue;
            p[jitter + "_range"] = range;
            p[jitter + "_prob"] = 0.5;
        }

        p["hue"] = saturationAndHue;
        p["hue_range"] = 18;
        p["hue_prob"] = 0.5;
    }
}
