using System.Net.Http.Json;
using System.Text.Json;
using Narrative.Domain.Corpus;

namespace Narrative.Cli.Output;

/// <summary>An API answer that is not 2xx, read back into a <see cref="Problem"/> with the API's own words.</summary>
public static class ApiProblem
{
    private sealed record Body(string? Title, string? Detail, IReadOnlyList<FieldError>? FieldErrors);

    public static async Task<Problem> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        Body? body = null;
        try
        {
            body = await response.Content.ReadFromJsonAsync<Body>(new JsonSerializerOptions(JsonSerializerDefaults.Web), ct);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            // Not problem+json (a proxy's page, say): the status line is all there is to say.
        }
        return new Problem(status, body?.Title ?? response.ReasonPhrase ?? $"HTTP {status}", body?.Detail, body?.FieldErrors,
            response.RequestMessage?.RequestUri?.ToString());
    }
}
