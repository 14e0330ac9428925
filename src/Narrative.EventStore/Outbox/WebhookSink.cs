using System.Text;

namespace Narrative.EventStore.Outbox;

/// <summary>
/// POSTs each message as JSON (see <see cref="OutboxMessage.ToJson"/>). Any non-2xx answer or a connection error is a
/// failed attempt. <c>Idempotency-Key</c> carries the outbox id, since a message may arrive more than once.
/// </summary>
public sealed class WebhookSink(Uri url, HttpClient http) : IOutboxSink
{
    public string Name { get; } = "webhook:" + url;

    public async Task DeliverAsync(OutboxMessage message, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(message.ToJson(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", message.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-Narrative-Kind", message.Kind);
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>One sink per configured URL (e.g. configuration section <c>Narrative:Webhooks</c>).</summary>
    public static IReadOnlyList<IOutboxSink> FromUrls(IEnumerable<string> urls, HttpClient http) =>
        urls.Where(u => !string.IsNullOrWhiteSpace(u)).Distinct(StringComparer.Ordinal)
            .Select(u => (IOutboxSink)new WebhookSink(new Uri(u, UriKind.Absolute), http)).ToList();
}
