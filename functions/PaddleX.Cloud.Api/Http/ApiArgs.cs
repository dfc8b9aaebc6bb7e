using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PaddleX.Cloud.Api.Http;

/// <summary>The arguments of one request: the JSON body object, or else the query string.
/// Query values arrive as text, so every accessor also accepts the text form of its type
/// (a number as digits, a list as repeated keys or one JSON-encoded value).</summary>
public sealed class ApiArgs(JsonObject values)
{
    public const int MaxTextLength = 4096;

    public JsonObject Values { get; } = values;

    public bool IsEmpty => Values.Count == 0;

    public bool Has(string key) => Values.ContainsKey(key);

    /// <summary>True when the key is present with a non-null value.</summary>
    public bool HasValue(string key) => Values.TryGetPropertyValue(key, out var node) && node is not null;

    public string RequireString(string key, int maxLength = MaxTextLength) =>
        String(key, maxLength) ?? throw Missing(key);

    public string? String(string key, int maxLength = MaxTextLength)
    {
        var node = Get(key);
        if (node is null)
        {
            return null;
        }

        if (node is not JsonValue value || !value.TryGetValue<string>(out var text))
        {
            throw ApiException.Invalid($"参数'{key}'应为字符串 (argument '{key}' must be a string)");
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw ApiException.Invalid($"参数'{key}'含有空字符 (argument '{key}' contains a NUL character)");
        }

        if (text.Length > maxLength)
        {
            throw ApiException.Invalid($"参数'{key}'过长，最多{maxLength}个字符 (argument '{key}' is longer than {maxLength} characters)");
        }

        return text;
    }

    public int RequireInt(string key) => Int(key) ?? throw Missing(key);

    public int? Int(string key)
    {
        var number = Double(key);
        if (number is null)
        {
            return null;
        }

        if (number != Math.Floor(number.Value) || number < int.MinValue || number > int.MaxValue)
        {
            throw ApiException.Invalid($"参数'{key}'应为整数 (argument '{key}' must be an integer)");
        }

        return (int)number.Value;
    }

    public double RequireDouble(string key) => Double(key) ?? throw Missing(key);

    public double? Double(string key)
    {
        var node = Get(key);
        switch (node)
        {
            case null:
                return null;
            case JsonValue value when value.TryGetValue<double>(out var d) && double.IsFinite(d):
                return d;
            case JsonValue value when value.TryGetValue<string>(out var s)
                && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed):
                return parsed;
            default:
                throw ApiException.Invalid($"参数'{key}'应为数字 (argument '{key}' must be a number)");
        }
    }

    public bool? Bool(string key)
    {
        var node = Get(key);
        return node switch
        {
            null => null,
            JsonValue value when value.TryGetValue<bool>(out var b) => b,
            JsonValue value when value.TryGetValue<string>(out var s) && bool.TryParse(s, out var parsed) => parsed,
            JsonValue value when value.TryGetValue<string>(out var s) && s is "1" or "0" => s == "1",
            JsonValue value when value.TryGetValue<int>(out var i) && i is 0 or 1 => i == 1,
            _ => throw ApiException.Invalid($"参数'{key}'应为布尔值 (argument '{key}' must be true or false)"),
        };
    }

    /// <summary>A list: a JSON array, a JSON-encoded array in a string, or one plain value.</summary>
    public JsonArray? List(string key)
    {
        var node = Get(key);
        switch (node)
        {
            case null:
                return null;
            case JsonArray array:
                return array;
            case JsonValue value when value.TryGetValue<string>(out var text):
                if (text.TrimStart().StartsWith('['))
                {
                    return Parse(key, text) as JsonArray ?? throw ApiException.Invalid($"参数'{key}'应为列表 (argument '{key}' must be a list)");
                }

                return [text];
            default:
                return [node.DeepClone()];
        }
    }

    public IReadOnlyList<string>? StringList(string key) =>
        List(key)?.Select(item => item is JsonValue v && v.TryGetValue<string>(out var s)
            ? s
            : throw ApiException.Invalid($"参数'{key}'应为字符串列表 (argument '{key}' must be a list of strings)")).ToList();

    /// <summary>An object: a JSON object, or a JSON-encoded object in a string.</summary>
    public JsonObject? Object(string key)
    {
        var node = Get(key);
        return node switch
        {
            null => null,
            JsonObject obj => obj,
            JsonValue value when value.TryGetValue<string>(out var text) =>
                Parse(key, text) as JsonObject ?? throw ApiException.Invalid($"参数'{key}'应为JSON对象 (argument '{key}' must be a JSON object)"),
            _ => throw ApiException.Invalid($"参数'{key}'应为JSON对象 (argument '{key}' must be a JSON object)"),
        };
    }

    public JsonObject RequireObject(string key) => Object(key) ?? throw Missing(key);

    public static ApiException Missing(string key) =>
        new(ErrorCodes.MissingArgument, $"缺少参数'{key}' (missing argument '{key}')");

    private JsonNode? Get(string key) => Values.TryGetPropertyValue(key, out var node) ? node : null;

    private static JsonNode? Parse(string key, string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: RequestBody.JsonOptions);
        }
        catch (JsonException)
        {
            throw ApiException.Invalid($"参数'{key}'不是合法的JSON (argument '{key}' is not valid JSON)");
        }
    }
}
