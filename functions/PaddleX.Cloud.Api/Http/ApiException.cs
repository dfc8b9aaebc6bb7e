using Microsoft.AspNetCore.Http;

namespace PaddleX.Cloud.Api.Http;

/// <summary>A failure the client caused or can act on. Application failures answer HTTP 200 with
/// <c>{"status": -1, "message", "code"}</c>; protocol failures carry their 4xx status.</summary>
public sealed class ApiException(string code, string message, int httpStatus = StatusCodes.Status200OK)
    : Exception(message)
{
    public string Code { get; } = code;

    public int HttpStatus { get; } = httpStatus;

    public static ApiException NotFound(string code, string message) => new(code, message);

    public static ApiException Invalid(string message) => new(ErrorCodes.InvalidArgument, message);
}
