using Microsoft.AspNetCore.Mvc;
using Narrative.Domain.Corpus;

namespace Narrative.Api.Hosting;

/// <summary>Every error is application/problem+json.</summary>
public static class Problems
{
    public static IResult Status(int status, string title, string? detail = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    public static IResult NotFound(string detail) => Status(404, "Not found", detail);

    public static IResult BadRequest(string field, string code, string message) => Validation([new FieldError(field, code, message)]);

    /// <summary>400 naming each wrong field: <c>errors</c> maps field → messages; <c>fieldErrors</c> adds the stable codes.</summary>
    public static IResult Validation(IReadOnlyList<FieldError> errors)
    {
        var problem = new HttpValidationProblemDetails(errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()))
        {
            Status = 400,
            Title = "The input is not valid; nothing was written",
            Type = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        };
        problem.Extensions["fieldErrors"] = errors;
        return TypedResults.Problem(problem);
    }
}
