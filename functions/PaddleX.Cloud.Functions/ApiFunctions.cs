using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PaddleX.Cloud.Api.Http;

namespace PaddleX.Cloud.Functions;

/// <summary>One HTTP function per entry of the API's route table, same path and methods plus OPTIONS
/// for CORS preflights (a test keeps the two in step). Each only hands the request to the shared
/// dispatcher. Anonymous at the Functions level: PaddleX clients know no function keys, so the
/// dispatcher checks the API key (docs/auth.md).</summary>
public sealed class ApiFunctions(ApiDispatcher dispatcher)
{
    [Function("Workspace")]
    public Task<IResult> Workspace([HttpTrigger(AuthorizationLevel.Anonymous, "get", "put", "options", Route = "workspace")] HttpRequest request) =>
        Run(request, "/workspace");

    [Function("System")]
    public Task<IResult> System([HttpTrigger(AuthorizationLevel.Anonymous, "get", "delete", "options", Route = "system")] HttpRequest request) =>
        Run(request, "/system");

    [Function("Dataset")]
    public Task<IResult> Dataset([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "delete", "options", Route = "dataset")] HttpRequest request) =>
        Run(request, "/dataset");

    [Function("DatasetSplit")]
    public Task<IResult> DatasetSplit([HttpTrigger(AuthorizationLevel.Anonymous, "put", "options", Route = "dataset/split")] HttpRequest request) =>
        Run(request, "/dataset/split");

    [Function("DatasetDetails")]
    public Task<IResult> DatasetDetails([HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "dataset/details")] HttpRequest request) =>
        Run(request, "/dataset/details");

    [Function("DatasetUpload")]
    public Task<IResult> DatasetUpload([HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "dataset/upload")] HttpRequest request) =>
        Run(request, "/dataset/upload");

    [Function("DatasetUploadUrl")]
    public Task<IResult> DatasetUploadUrl([HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "dataset/upload/url")] HttpRequest request) =>
        Run(request, "/dataset/upload/url");

    [Function("Project")]
    public Task<IResult> Project([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "delete", "options", Route = "project")] HttpRequest request) =>
        Run(request, "/project");

    [Function("ProjectTask")]
    public Task<IResult> ProjectTask([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "delete", "options", Route = "project/task")] HttpRequest request) =>
        Run(request, "/project/task");

    [Function("ProjectTaskParams")]
    public Task<IResult> ProjectTaskParams([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "options", Route = "project/task/params")] HttpRequest request) =>
        Run(request, "/project/task/params");

    [Function("ProjectTaskTrain")]
    public Task<IResult> ProjectTaskTrain([HttpTrigger(AuthorizationLevel.Anonymous, "post", "put", "options", Route = "project/task/train")] HttpRequest request) =>
        Run(request, "/project/task/train");

    [Function("ProjectTaskPrune")]
    public Task<IResult> ProjectTaskPrune([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "options", Route = "project/task/prune")] HttpRequest request) =>
        Run(request, "/project/task/prune");

    [Function("ProjectTaskMetrics")]
    public Task<IResult> ProjectTaskMetrics([HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "project/task/metrics")] HttpRequest request) =>
        Run(request, "/project/task/metrics");

    [Function("ProjectTaskEvaluate")]
    public Task<IResult> ProjectTaskEvaluate([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "options", Route = "project/task/evaluate")] HttpRequest request) =>
        Run(request, "/project/task/evaluate");

    [Function("ProjectTaskEvaluateFile")]
    public Task<IResult> ProjectTaskEvaluateFile([HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "project/task/evaluate/file")] HttpRequest request) =>
        Run(request, "/project/task/evaluate/file");

    [Function("ProjectTaskPredict")]
    public Task<IResult> ProjectTaskPredict([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "options", Route = "project/task/predict")] HttpRequest request) =>
        Run(request, "/project/task/predict");

    [Function("ProjectTaskExport")]
    public Task<IResult> ProjectTaskExport([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "options", Route = "project/task/export")] HttpRequest request) =>
        Run(request, "/project/task/export");

    [Function("ProjectTaskVdl")]
    public Task<IResult> ProjectTaskVdl([HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "project/task/vdl")] HttpRequest request) =>
        Run(request, "/project/task/vdl");

    [Function("ProjectTaskVdlBoard")]
    public Task<IResult> ProjectTaskVdlBoard([HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "project/task/vdl/board")] HttpRequest request) =>
        Run(request, "/project/task/vdl/board");

    [Function("Model")]
    public Task<IResult> Model([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "delete", "options", Route = "model")] HttpRequest request) =>
        Run(request, "/model");

    [Function("File")]
    public Task<IResult> File([HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "file")] HttpRequest request) =>
        Run(request, "/file");

    [Function("Demo")]
    public Task<IResult> Demo([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "options", Route = "demo")] HttpRequest request) =>
        Run(request, "/demo");

    private Task<IResult> Run(HttpRequest request, string path) =>
        dispatcher.ExecuteAsync(request.HttpContext, RouteTable.Find(path));
}
