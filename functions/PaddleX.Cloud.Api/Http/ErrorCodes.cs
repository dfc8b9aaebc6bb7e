namespace PaddleX.Cloud.Api.Http;

/// <summary>The stable machine-readable words of the <c>code</c> field.</summary>
public static class ErrorCodes
{
    public const string MissingArgument = "missing_argument";
    public const string InvalidArgument = "invalid_argument";
    public const string MalformedJson = "malformed_json";
    public const string InvalidBody = "invalid_body";
    public const string MalformedForm = "malformed_form";
    public const string BadRequest = "bad_request";
    public const string RequestTimeout = "request_timeout";
    public const string UriTooLong = "uri_too_long";
    public const string BodyTooLarge = "body_too_large";
    public const string RouteNotFound = "route_not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string Unauthorized = "unauthorized";
    public const string InternalError = "internal_error";
    public const string DatasetNotFound = "dataset_not_found";
    public const string ProjectNotFound = "project_not_found";
    public const string TaskNotFound = "task_not_found";
    public const string ModelNotFound = "model_not_found";
    public const string DatasetInUse = "dataset_in_use";
    public const string InvalidState = "invalid_state";
    public const string PathNotAllowed = "path_not_allowed";
    public const string FileNotFound = "file_not_found";
    public const string UnsupportedFile = "unsupported_file";
    public const string JobRunning = "job_running";
    public const string NotImplementedYet = "not_available";
}
