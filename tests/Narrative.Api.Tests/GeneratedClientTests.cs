using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Narrative.Client;
using Narrative.Testing;
using Problem = Narrative.Client.Models.ProblemDetails;

namespace Narrative.Api.Tests;

/// <summary>
/// The README's "What to try first", line by line, through the typed client that Kiota generates from
/// docs/openapi.json at build time (see the project file). If the document stops describing an answer, this does not
/// compile or does not read the answer.
/// </summary>
public sealed partial class OpenApiDocumentTests
{
    private const string Topic = "putin-ceasefire-stance";

    /// <summary>The key goes in a default header: Kiota's API-key provider insists on https, and ./ops/run serves http on 127.0.0.1.</summary>
    private NarrativeClient Client(string? key = null)
    {
        var http = new HttpClient();
        if (key is not null) http.DefaultRequestHeaders.Add("X-Api-Key", key);
        var adapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http)
        {
            BaseUrl = api.Server.BaseAddress.ToString().TrimEnd('/'),
        };
        return new NarrativeClient(adapter);
    }

    [Fact]
    public async Task the_generated_client_runs_the_readme_walk_through_against_the_seeded_api()
    {
        var client = Client();
        var topic = client.Api.Topics[Topic];

        var jan = await topic.Assessment.GetAsync(r => r.QueryParameters.AsOf = "2024-01-31");
        Assert.Equal("feigned", jan!.Leading);
        Assert.Equal(["feigned", "conditional", "maximalist", "genuine"], jan.Hypotheses!.OrderBy(h => h.Rank).Select(h => h.Id));
        Assert.Contains(jan.Evidence!, e => e.ItemId == "nyt-2023-12-23-backchannel" && e.Derivative == false);

        var provenance = await client.Api.Claims["putin-private-openness-to-freeze"].Provenance.GetAsync(r => r.QueryParameters.AsOf = "2024-05-31");
        Assert.Equal(2, provenance!.IndependentOrigins);
        Assert.Equal("nyt-2023-12-23-putin-signals", provenance.FirstAppearance!.DocumentId);
        Assert.Contains(provenance.Appearances!, a => a.Derivative == true && a.DerivedFrom is not null);

        var sensitivity = await topic.Sensitivity.GetAsync(r => r.QueryParameters.AsOf = "2023-12-31");
        Assert.Equal("feigned", sensitivity!.Leading);
        Assert.Equal(["us-officials-doubt-misdirection-2023-12"], sensitivity.Linchpins!);
        Assert.Equal(["nyt-2023-12-23-putin-signals"], sensitivity.FlipSet!.Origins!);

        var december = await topic.Assessment.GetAsync(r => r.QueryParameters.AsOf = "2023-12-31");
        Assert.Equal(("roughly even chance", "low"), (december!.Likelihood, december.Confidence));
        Assert.Equal(1, december.Basis!.Origins);

        var coincidence = await topic.Coincidence.GetAsync(r => r.QueryParameters.AsOf = "2024-05-31");
        Assert.Equal((4, 4), (coincidence!.N, coincidence.K));

        var timing = await topic.Timing.GetAsync(r => r.QueryParameters.AsOf = "2024-05-31");
        Assert.Equal((4, 2, 14), (timing!.N, timing.T, timing.Window));
        Assert.InRange(timing.Power!.Value, 0, 1);

        var timeline = await topic.Timeline.GetAsync(r => r.QueryParameters.Step = "week");
        Assert.Contains(timeline!.Points!, p => p.Causes is { Count: > 0 });

        var changes = await topic.Changes.GetAsync(r => (r.QueryParameters.From, r.QueryParameters.To) = ("2024-01-01", "2024-02-29"));
        Assert.Equal(("feigned", "feigned"), (changes!.LeadingBefore, changes.LeadingAfter));
        Assert.NotEmpty(changes.Added!);

        var audit = await topic.Audit.GetAsync(r => r.QueryParameters.AsOf = "2024-01-31");
        Assert.True(audit!.ReplayMatches == true && audit.ChainIntact == true);
        Assert.NotEmpty(audit.Events!);

        // A correction is a new event: it needs the ingest key; the same correction again writes nothing.
        var correction = new Narrative.Client.Models.CorrectionInput
        {
            Reason = "second look (generated client)",
            Items = [new() { Id = "nyt-2023-12-23-backchannel", Credibility = 4 }],
        };
        var unauthorised = await Assert.ThrowsAsync<Problem>(() => client.Api.Documents["nyt-2023-12-23-putin-signals"].Corrections.PostAsync(correction));
        Assert.Equal(401, unauthorised.ResponseStatusCode);
        var wrongRole = await Assert.ThrowsAsync<Problem>(() =>
            Client(ApiServer.AdminKey).Api.Documents["nyt-2023-12-23-putin-signals"].Corrections.PostAsync(correction));
        Assert.Equal(403, wrongRole.ResponseStatusCode);
        var ingest = Client(ApiServer.IngestKey);
        var applied = await ingest.Api.Documents["nyt-2023-12-23-putin-signals"].Corrections.PostAsync(correction);
        Assert.True(applied!.Created);
        var again = await ingest.Api.Documents["nyt-2023-12-23-putin-signals"].Corrections.PostAsync(correction);
        Assert.Equal((false, 0), (again!.Created, again.Events));

        var events = await client.Api.Events.GetAsync(r => (r.QueryParameters.After, r.QueryParameters.Limit) = (0, 5));
        Assert.Equal(5, events!.Events!.Count);
        Assert.Equal(events.Events[^1].Position, events.Last);
        Assert.True(events.Head > events.Last);
        Assert.All(events.Events, e => Assert.NotNull(e.OccurredAt));

        var admin = Client(ApiServer.AdminKey);
        var projections = await admin.Api.Admin.Projections.GetAsync();
        Assert.Contains(projections!, p => p.Name is { Length: > 0 } && p.Position >= 0);
        var cache = await admin.Api.Admin.QueryCache.GetAsync();
        Assert.True(cache!.Enabled);
        await Assert.ThrowsAsync<Problem>(() => client.Api.Admin.Projections.GetAsync());

        var missing = await Assert.ThrowsAsync<Problem>(() => client.Api.Topics["no-such-topic"].Assessment.GetAsync());
        Assert.Equal(404, missing.ResponseStatusCode);
        var invalid = await Assert.ThrowsAsync<Narrative.Client.Models.HttpValidationProblemDetails>(() =>
            topic.Assessment.GetAsync(r => r.QueryParameters.AsOf = "not-a-date"));
        Assert.Equal(400, invalid.ResponseStatusCode);
    }
}
