using System.Text.Json;
using Google.Protobuf;

namespace PaddleX.Cloud.Azure.Cosmos;

/// <summary>The JSON documents of the Cosmos container.</summary>
internal static class Documents
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    /// <summary>Unknown fields are ignored so an older reader survives a newer writer.</summary>
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static MemoryStream Entity(string id, string partitionKey, string kind, int number, IMessage entity) =>
        Write(writer =>
        {
            writer.WriteString("id", id);
            writer.WriteString("pk", partitionKey);
            writer.WriteString("kind", kind);
            writer.WriteNumber("number", number);
            writer.WritePropertyName("entity");
            writer.WriteRawValue(Formatter.Format(entity), skipInputValidation: false);
        });

    public static MemoryStream Counters(string id, string partitionKey, IReadOnlyDictionary<string, int> counters) =>
        Write(writer =>
        {
            writer.WriteString("id", id);
            writer.WriteString("pk", partitionKey);
            writer.WriteString("kind", "counters");
            writer.WritePropertyName("issued");
            writer.WriteStartObject();
            foreach (var (key, value) in counters.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteNumber(key, value);
            }

            writer.WriteEndObject();
        });

    /// <summary>The highest number issued per id prefix ("D" → 12), from a counters document.</summary>
    public static Dictionary<string, int> ReadCounters(JsonElement? document)
    {
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        if (document is { } doc && doc.TryGetProperty("issued", out var issued) && issued.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in issued.EnumerateObject())
            {
                counters[property.Name] = property.Value.GetInt32();
            }
        }

        return counters;
    }

    public static T ReadEntity<T>(JsonElement document)
        where T : class, IMessage<T>, new() =>
        Parser.Parse<T>(document.GetProperty("entity").GetRawText());

    private static MemoryStream Write(Action<Utf8JsonWriter> body)
    {
        var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }
}
