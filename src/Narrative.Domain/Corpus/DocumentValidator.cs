using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;

namespace Narrative.Domain.Corpus;

public static class DocumentValidator
{
    public const int MaxSizeBytes = 1_048_576;

    /// <summary>
    /// Checks one document against the corpus rules and what the store holds. <paramref name="today"/> is the
    /// caller's clock (a TimeProvider at the edge): nothing may be published or happen after it.
    /// </summary>
    public static Validated<IngestedDocument> Validate(DocumentInput doc, KnownReferences known, DateOnly today, int sizeBytes)
    {
        ArgumentNullException.ThrowIfNull(doc);
        ArgumentNullException.ThrowIfNull(known);
        var rules = new Rules();
        if (sizeBytes > MaxSizeBytes)
        {
            rules.Add("$", ErrorCodes.TooLarge, $"A document may be at most {MaxSizeBytes} bytes; this one is {sizeBytes}.");
        }

        var id = rules.Slug("id", doc.Id);
        var source = rules.Slug("source", doc.Source);
        if (source is not null && !known.Sources.ContainsKey(source))
        {
            rules.Add("source", ErrorCodes.UnknownSource, $"Source '{source}' is not registered.");
        }
        var publishedAt = rules.Date("publishedAt", doc.PublishedAt, required: true, notAfter: today);
        rules.Required("title", doc.Title);
        rules.MaxLength("title", doc.Title, Limits.TitleCharacters);
        ValidateUrlAndAuthors(doc, rules);
        ValidateCites(doc.Cites ?? [], id, publishedAt, known, rules);
        if (doc.CaptureId is not null)
        {
            rules.Slug("captureId", doc.CaptureId);
        }

        var items = doc.Items ?? [];
        if (items.Count == 0)
        {
            rules.Add("items", ErrorCodes.Required, "A document needs at least one item.");
        }
        rules.MaxCount("items", items, Limits.ItemsPerDocument, "items");
        var context = new ItemContext(rules, known, today, id, publishedAt,
            items.Select(i => i?.Id).Where(Rules.IsSlug).Select(i => i!).ToHashSet(StringComparer.Ordinal));
        var recorded = new List<ItemRecorded>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = ValidateItem($"items[{i}]", items[i], context);
            if (item is not null && id is not null && source is not null && publishedAt is not null)
            {
                recorded.Add(item with { DocumentId = id, Source = source, PublishedAt = publishedAt.Value });
            }
        }

        if (rules.HasErrors)
        {
            return new Validated<IngestedDocument>(null, rules.Errors);
        }

        var itemIds = recorded.Select(r => r.ItemId).ToImmutableArray();
        var ingested = new DocumentIngested(
            id!, source!, publishedAt!.Value, doc.Title!, doc.Url, [.. doc.Authors ?? []], [.. doc.Cites ?? []], itemIds,
            ContentHash(doc), doc.CaptureId);
        return new Validated<IngestedDocument>(new IngestedDocument(ingested, recorded), []);
    }

    /// <summary>What every item of one document is checked against.</summary>
    private sealed record ItemContext(
        Rules Rules, KnownReferences Known, DateOnly Today, string? DocumentId, DateOnly? PublishedAt, HashSet<string> OwnItemIds)
    {
        public HashSet<string> SeenItems { get; } = new(StringComparer.Ordinal);
    }

    private static void ValidateUrlAndAuthors(DocumentInput doc, Rules rules)
    {
        if (doc.Url is not null
            && !(Uri.TryCreate(doc.Url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            rules.Add("url", ErrorCodes.InvalidUrl, "url must be an absolute http(s) URL.");
        }
        rules.MaxLength("url", doc.Url, Limits.UrlCharacters);
        var authors = doc.Authors ?? [];
        rules.MaxCount("authors", authors, Limits.AuthorsPerDocument, "authors");
        for (var i = 0; i < authors.Count; i++)
        {
            rules.Required($"authors[{i}]", authors[i]);
            rules.MaxLength($"authors[{i}]", authors[i], Limits.AuthorCharacters);
        }
    }

    /// <summary>
    /// A document can only cite what was published on or before it: provenance follows citations backwards in
    /// world time, and a citation of a later piece would make an origin look derivative of its own re-report.
    /// </summary>
    private static void ValidateCites(IReadOnlyList<string> cites, string? id, DateOnly? publishedAt, KnownReferences known, Rules rules)
    {
        rules.MaxCount("cites", cites, Limits.CitesPerDocument, "documents");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < cites.Count; i++)
        {
            var field = $"cites[{i}]";
            var cite = rules.Slug(field, cites[i]);
            if (cite is null)
            {
                continue;
            }
            if (!seen.Add(cite))
            {
                rules.Add(field, ErrorCodes.DuplicateCite, $"'{cite}' is cited twice.");
            }
            else if (cite == id)
            {
                rules.Add(field, ErrorCodes.SelfCite, "A document cannot cite itself.");
            }
            else if (!known.Documents.TryGetValue(cite, out var cited))
            {
                rules.Add(field, ErrorCodes.UnresolvedCite, $"Document '{cite}' is not held.");
            }
            else if (publishedAt is { } published && cited.PublishedAt > published)
            {
                rules.Add(field, ErrorCodes.CitesLaterDocument,
                    $"Document '{cite}' was published on {cited.PublishedAt:yyyy-MM-dd}, after this document ({published:yyyy-MM-dd}); a document can only cite what was published on or before it.");
            }
        }
    }

    private static ItemRecorded? ValidateItem(string path, ItemInput? item, ItemContext context)
    {
        var (rules, known, documentId) = (context.Rules, context.Known, context.DocumentId);
        if (item is null)
        {
            rules.Add(path, ErrorCodes.Required, "An item cannot be null.");
            return null;
        }
        var start = rules.Errors.Count;
        var id = rules.Slug($"{path}.id", item.Id);
        if (id is not null)
        {
            if (!context.SeenItems.Add(id))
            {
                rules.Add($"{path}.id", ErrorCodes.DuplicateItem, $"Item '{id}' appears twice in this document.");
            }
            else if (known.Items.TryGetValue(id, out var held) && held.DocumentId != documentId)
            {
                rules.Add($"{path}.id", ErrorCodes.ItemExists, $"Item '{id}' is already held by document '{held.DocumentId}'.");
            }
        }

        var topicId = rules.Slug($"{path}.topic", item.Topic);
        KnownTopic? topic = null;
        if (topicId is not null && !known.Topics.TryGetValue(topicId, out topic))
        {
            rules.Add($"{path}.topic", ErrorCodes.UnknownTopic, $"Topic '{topicId}' is not open.");
        }

        var type = ValidateType($"{path}.type", item.Type, rules);
        var claim = item.Claim is null ? id : rules.Slug($"{path}.claim", item.Claim);
        rules.Required($"{path}.summary", item.Summary);
        ValidateTexts(path, item, rules);
        var occurredAt = rules.Date($"{path}.occurredAt", item.OccurredAt, required: false, notAfter: context.Today);
        if (occurredAt > context.PublishedAt)
        {
            rules.Add($"{path}.occurredAt", ErrorCodes.OccurredAfterPublished,
                $"{path}.occurredAt {occurredAt:yyyy-MM-dd} is after the document's publishedAt ({context.PublishedAt:yyyy-MM-dd}); a document can only report what had happened.");
        }
        var credibility = rules.Credibility($"{path}.credibility", item.Credibility, required: true);
        if (item.Ratings is null)
        {
            rules.Add($"{path}.ratings", ErrorCodes.Required, "ratings are required.");
        }
        else
        {
            rules.Ratings($"{path}.ratings", item.Ratings, topic?.Hypotheses);
        }

        var rebuts = item.Rebuts ?? [];
        ValidateRebuts(path, id, type, rebuts, context);
        if (item.Speaker is not null && rules.Slug($"{path}.speaker", item.Speaker) is { } speaker && !known.Sources.ContainsKey(speaker))
        {
            rules.Add($"{path}.speaker", ErrorCodes.UnknownSpeaker, $"Speaker '{speaker}' is not a registered source.");
        }

        if (rules.Errors.Count > start)
        {
            return null;
        }
        // DocumentId, Source and PublishedAt are filled in by the caller once the document fields are known good.
        return new ItemRecorded(
            id!, documentId ?? "", "", default, topicId!, type!, claim!, item.Summary!, item.Quote, item.AttributedTo,
            occurredAt, credibility!.Value, item.Ratings!.ToImmutableSortedDictionary(StringComparer.Ordinal), [.. rebuts], item.Note, item.Speaker);
    }

    private static string? ValidateType(string field, string? type, Rules rules)
    {
        if (!rules.Required(field, type))
        {
            return null;
        }
        if (Rules.ItemTypes.Contains(type!))
        {
            return type;
        }
        rules.Add(field, ErrorCodes.InvalidType, "type is one of signal, statement, action, assessment, rebuttal, report.");
        return null;
    }

    private static void ValidateRebuts(string path, string? id, string? type, IReadOnlyList<string> rebuts, ItemContext context)
    {
        var rules = context.Rules;
        rules.MaxCount($"{path}.rebuts", rebuts, Limits.RebutsPerItem, "items");
        for (var r = 0; r < rebuts.Count; r++)
        {
            var field = $"{path}.rebuts[{r}]";
            var target = rules.Slug(field, rebuts[r]);
            if (target is null)
            {
                continue;
            }
            if (target == id)
            {
                rules.Add(field, ErrorCodes.SelfRebuttal, "An item cannot rebut itself.");
            }
            else if (!context.OwnItemIds.Contains(target) && !context.Known.Items.ContainsKey(target))
            {
                rules.Add(field, ErrorCodes.UnresolvedRebuts, $"Item '{target}' is neither held nor in this document.");
            }
        }
        if (type is not null && type != "rebuttal" && rebuts.Count > 0)
        {
            rules.Add($"{path}.rebuts", ErrorCodes.RebutsRequiresRebuttal, "Only items of type rebuttal may list rebuts.");
        }
        if (type == "rebuttal" && rebuts.Count == 0)
        {
            rules.Add($"{path}.rebuts", ErrorCodes.RebuttalRequiresRebuts, "A rebuttal must name at least one item it disputes.");
        }
    }

    private static void ValidateTexts(string path, ItemInput item, Rules rules)
    {
        rules.MaxLength($"{path}.summary", item.Summary, Limits.SummaryCharacters);
        rules.Quote($"{path}.quote", item.Quote);
        rules.MaxLength($"{path}.attributedTo", item.AttributedTo, Limits.AttributedToCharacters);
        rules.MaxLength($"{path}.note", item.Note, Limits.NoteCharacters);
    }

    /// <summary>
    /// SHA-256 (lower-case hex) of a canonical JSON form: fixed field order, ratings sorted by key, dates
    /// normalised to YYYY-MM-DD and claim defaulted to the item id, so that equal content always hashes equal.
    /// </summary>
    public static string ContentHash(DocumentInput doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", doc.Id);
            w.WriteString("source", doc.Source);
            w.WriteString("publishedAt", NormaliseDate(doc.PublishedAt));
            w.WriteString("title", doc.Title);
            w.WriteString("url", doc.Url);
            WriteList(w, "authors", doc.Authors);
            WriteList(w, "cites", doc.Cites);
            w.WriteStartArray("items");
            foreach (var item in doc.Items ?? [])
            {
                w.WriteStartObject();
                w.WriteString("id", item.Id);
                w.WriteString("topic", item.Topic);
                w.WriteString("type", item.Type);
                w.WriteString("claim", item.Claim ?? item.Id);
                w.WriteString("summary", item.Summary);
                w.WriteString("quote", item.Quote);
                w.WriteString("attributedTo", item.AttributedTo);
                w.WriteString("occurredAt", NormaliseDate(item.OccurredAt));
                if (item.Credibility is { } c)
                {
                    w.WriteNumber("credibility", c);
                }
                else
                {
                    w.WriteNull("credibility");
                }
                w.WriteStartObject("ratings");
                foreach (var (k, v) in (item.Ratings ?? ImmutableDictionary<string, string>.Empty).OrderBy(r => r.Key, StringComparer.Ordinal))
                {
                    w.WriteString(k, v);
                }
                w.WriteEndObject();
                WriteList(w, "rebuts", item.Rebuts);
                w.WriteString("note", item.Note);
                // Only when present, so that items without a speaker keep the hashes their documents were stored with.
                if (item.Speaker is not null)
                {
                    w.WriteString("speaker", item.Speaker);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            // Only when present, so that documents without a capture keep the hashes they were stored with.
            if (doc.CaptureId is not null)
            {
                w.WriteString("captureId", doc.CaptureId);
            }
            w.WriteEndObject();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
    }

    private static string? NormaliseDate(string? value) =>
        Rules.ParseDate(value) is { } d ? d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : value;

    private static void WriteList(Utf8JsonWriter w, string name, IReadOnlyList<string>? values)
    {
        w.WriteStartArray(name);
        foreach (var v in values ?? [])
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }
}
