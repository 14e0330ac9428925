using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Narrative.Domain.Corpus;

namespace Narrative.Api.Hosting;

/// <summary>Every error is application/problem+json.</summary>
public static class Problems
{
    public static IResult Status(int status, string title, string? detail = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    public static IResult NotFound(string detail) => Status(404, "Not found", detail);

    /// <summary>A bad write: says that nothing was written, which the write's single transaction guarantees.</summary>
    public static IResult BadRequest(string field, string code, string message) => Validation([new FieldError(field, code, message)]);

    /// <summary>A bad query parameter of a read route, which never writes, so it does not speak of writing.</summary>
    public static IResult BadQuery(string field, string code, string message) => InvalidQuery([new FieldError(field, code, message)]);

    /// <summary>The first message also goes in <c>detail</c>, which is what the web explorer shows.</summary>
    public static IResult InvalidQuery(IReadOnlyList<FieldError> errors) => Validation(errors, "The query is not valid", errors.FirstOrDefault()?.Message);

    /// <summary>400 naming each wrong field: <c>errors</c> maps field → messages; <c>fieldErrors</c> adds the stable codes.</summary>
    public static IResult Validation(IReadOnlyList<FieldError> errors, string title = "The input is not valid; nothing was written", string? detail = null)
    {
        var problem = new HttpValidationProblemDetails(errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()))
        {
            Status = 400,
            Title = title,
            Detail = detail,
            Type = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        };
        problem.Extensions["fieldErrors"] = errors;
        return TypedResults.Problem(problem);
    }

    /// <summary>
    /// Declares a route's error answers in its OpenAPI description, all application/problem+json: 400 as a validation
    /// problem (<c>errors</c>, <c>fieldErrors</c>), the others as problem details. 401 and 403 come with
    /// <see cref="ApiKeys.RequireKey{TBuilder}"/>.
    /// </summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder builder, params int[] statuses) =>
        builder.WithMetadata([.. statuses.Select(Response)]);

    public static IProducesResponseTypeMetadata Response(int status) =>
        new ProducesResponseTypeMetadata(status, status == 400 ? typeof(HttpValidationProblemDetails) : typeof(ProblemDetails), ["application/problem+json"]);
}
