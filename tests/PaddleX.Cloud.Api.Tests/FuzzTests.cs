using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>Random requests over every route and method of the route table, with a fixed seed:
/// every answer is below 500 and carries the JSON shape.</summary>
public sealed class FuzzTests : ServerTestBase
{
    private const int Requests = 10_240;
    private const int Workers = 4;

    private static readonly string[] Keys =
    [
        "act", "attr_dict", "attr_list", "dataset_type", "desc", "did", "emid", "epoch", "eval_metric_loss", "eval_results", "exported_type",
        "gpu_list", "id", "image_data", "img_list", "mid", "model_type", "name", "overlap_thresh", "parent_id", "path", "pid", "pmid",
        "project_type", "pruned_flops", "quant", "save_dir", "score_thresh", "seed", "source_path", "struct", "test_split", "tid", "topk",
        "train", "type", "val_split", "resume", "file", "api_key",
    ];

    private static readonly string[] Words =
    [
        "D0001", "P0001", "T0001", "PM0001", "EM0001", "D9999", "classification", "detection", "segmentation", "instance_segmentation",
        "dataset", "project", "task", "pretrained", "exported", "infer", "lite", "stop", "resume", "train", "eval", "eval_all",
        "machine_info", "gpu_memory_size", "", " ", "\0", "a\0b", "..", "../..", "/etc/passwd", "datasets", "projects", "pretrain",
        "workspace.newest.pb", ".jobs", "C:\\Windows", "\\\\server\\share", "%2e%2e%2f", "\u2025/x", "\uff0e\uff0e/x", "file:///etc/hosts",
        "名字", "🙂", "null", "true", "[1,2]", "{\"a\":1}", "{\"a\":1,\"a\":2}", "{\"num_epochs\": -1}", "NaN", "1e309", "-1", "0",
        "exports/x", "import", "IMAGENET", "PaddleX.Cloud.Server.dll",
    ];

    private static readonly string[] ExtraMethods = ["PATCH", "HEAD", "OPTIONS", "TRACE", "FOO"];

    [Fact]
    public async Task Ten_thousand_random_requests_get_json_and_never_a_5xx()
    {
        var (_, _, _) = await CreateTaskAsync(TinyTraining.ResNet18(1, 1));
        var routes = RouteTable.Routes;
        var failures = new ConcurrentQueue<string>();
        var answered = 0;
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(1000 + w);
            for (var i = 0; i < Requests / Workers && failures.Count < 20; i++)
            {
                var route = routes[random.Next(routes.Count)];
                var methods = route.AllowedMethods.ToArray();
                var method = random.Next(10) == 0 ? ExtraMethods[random.Next(ExtraMethods.Length)] : methods[random.Next(methods.Length)];
                var path = random.Next(50) == 0 ? route.Path + "/nope" : route.Path;
                using var request = BuildRequest(random, method, path);
                var description = $"{method} {request.RequestUri} ({request.Content?.Headers.ContentType})";
                try
                {
                    using var response = await Api.Http.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    Interlocked.Increment(ref answered);
                    var problem = Check(response, text, method, route.Path);
                    if (problem is not null)
                    {
                        failures.Enqueue($"{description}: {problem}");
                    }
                }
                catch (HttpRequestException e)
                {
                    failures.Enqueue($"{description}: connection failed: {e.Message}");
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(20)));
        Assert.True(answered >= 10_000, $"only {answered} answers");
    }

    private static string? Check(HttpResponseMessage response, string text, string method, string route)
    {
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            return $"{status}: {text}";
        }

        if (method is "HEAD" || response.StatusCode == HttpStatusCode.NoContent)
        {
            return null; // no body by definition
        }

        if (route == Endpoints.VdlApi.BoardPath && status == 200 && response.Content.Headers.ContentType?.MediaType == "text/html")
        {
            return null; // the dashboard page itself
        }

        try
        {
            return JsonNode.Parse(text) is JsonObject body && body["status"] is not null
                ? null
                : $"{status} without the JSON shape: {text[..Math.Min(200, text.Length)]}";
        }
        catch (System.Text.Json.JsonException)
        {
            return $"{status} not JSON: {text[..Math.Min(200, text.Length)]}";
        }
    }

    private static HttpRequestMessage BuildRequest(Random random, string method, string path)
    {
        var query = random.Next(3) == 0 ? "?" + string.Join("&", Enumerable.Range(0, random.Next(1, 4)).Select(_ => $"{Uri.EscapeDataString(Key(random))}={Uri.EscapeDataString(Text(random))}")) : string.Empty;
        var request = new HttpRequestMessage(new HttpMethod(method), path + query);
        switch (random.Next(8))
        {
            case 0:
                break; // no body
            case 1 or 2:
                request.Content = Json(RandomObject(random, 0).ToJsonString());
                break;
            case 3:
                request.Content = Json(random.Next(6) switch
                {
                    0 => "[1,2,3]",
                    1 => "{\"did\":\"D0001\",\"did\":\"D0002\"}",
                    2 => "{\"name\": \"x\", ",
                    3 => "\"text\"",
                    4 => new string('[', 200) + new string(']', 200),
                    _ => "{\"train\": {\"a\": 1, \"a\": 2}, \"tid\": \"T0001\"}",
                });
                break;
            case 4:
                var form = string.Join("&", Enumerable.Range(0, random.Next(8) == 0 ? 1100 : random.Next(1, 6)).Select(_ => $"{Uri.EscapeDataString(Key(random))}={Uri.EscapeDataString(Text(random))}"));
                request.Content = new StringContent(random.Next(10) == 0 ? "a=%00&" + new string('k', 2100) + "=1" : form, Encoding.UTF8, "application/x-www-form-urlencoded");
                break;
            case 5 or 6:
                request.Content = Multipart(random);
                break;
            default:
                var bytes = new byte[random.Next(0, 2048)];
                random.NextBytes(bytes);
                request.Content = new ByteArrayContent(bytes);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(random.Next(2) == 0 ? "application/json" : "application/octet-stream");
                break;
        }

        return request;
    }

    private static HttpContent Json(string text) => new StringContent(text, Encoding.UTF8, "application/json");

    private static HttpContent Multipart(Random random)
    {
        switch (random.Next(6))
        {
            case 0:
                return Raw("multipart/form-data", "--x\r\nContent-Disposition: form-data; name=\"did\"\r\n\r\nD0001\r\n--x--\r\n");
            case 1:
                return Raw("multipart/form-data; boundary=abc", "--abc\r\nContent-Disposition: form-data; name=\"did\"\r\n\r\nD00");
            case 2:
                var boundary = new string('b', 200);
                return Raw($"multipart/form-data; boundary={boundary}", $"--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--{boundary}--\r\n");
            case 3:
                return Raw("multipart/form-data; boundary=abc", "--abc\r\nContent-Disposition: attachment; nonsense\r\n\r\nxyz\r\n--abc--\r\n");
            default:
                var content = new MultipartFormDataContent();
                for (var i = random.Next(4); i > 0; i--)
                {
                    content.Add(new StringContent(Text(random)), Keys[random.Next(Keys.Length)]);
                }

                if (random.Next(2) == 0)
                {
                    var bytes = new byte[random.Next(1, 4096)];
                    random.NextBytes(bytes);
                    content.Add(new ByteArrayContent(bytes), "file", random.Next(2) == 0 ? "data.zip" : "../../x.zip");
                }

                return content;
        }
    }

    private static ByteArrayContent Raw(string contentType, string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static string Key(Random random) => random.Next(20) == 0 ? Text(random) : Keys[random.Next(Keys.Length)];

    private static string Text(Random random) => random.Next(12) switch
    {
        0 => new string((char)random.Next(0x20, 0x7f), random.Next(1, 3000)),
        1 => random.Next(-5, 100_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => Words[random.Next(Words.Length)],
    };

    private static JsonObject RandomObject(Random random, int depth)
    {
        var obj = new JsonObject();
        foreach (var key in Enumerable.Range(0, random.Next(1, 6)).Select(_ => Key(random)).Distinct())
        {
            obj[key] = RandomValue(random, depth);
        }

        return obj;
    }

    private static JsonNode? RandomValue(Random random, int depth) => random.Next(depth > 2 ? 6 : 9) switch
    {
        0 => null,
        1 => random.Next(2) == 0,
        2 => random.Next(5) switch { 0 => double.MaxValue, 1 => -1, 2 => 0.5, 3 => long.MaxValue, _ => random.Next(10) },
        3 => new string('名', random.Next(20) == 0 ? 100_000 : 3),
        4 or 5 => Text(random),
        6 => new JsonArray(Enumerable.Range(0, random.Next(4)).Select(_ => RandomValue(random, depth + 1)).ToArray()),
        7 => RandomObject(random, depth + 1),
        _ => RandomObject(random, depth + 1).ToJsonString(),
    };
}
