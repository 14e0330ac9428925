using System.Collections.Immutable;

namespace Narrative.Domain.Corpus;

public static class TopicValidator
{
    public static Validated<TopicOpened> Validate(TopicInput topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var rules = new Rules();
        var id = rules.Slug("id", topic.Id);
        rules.Required("title", topic.Title);
        rules.MaxLength("title", topic.Title, Limits.LabelCharacters);
        DateOnly? start = null, end = null;
        if (topic.Period is null)
        {
            rules.Add("period", ErrorCodes.Required, "period is required.");
        }
        else
        {
            start = rules.Date("period.start", topic.Period.Start, required: true);
            end = rules.Date("period.end", topic.Period.End, required: true);
            if (start > end)
            {
                rules.Add("period.end", ErrorCodes.PeriodOrder, "period.end must not be before period.start.");
            }
        }
        var hypotheses = topic.Hypotheses ?? [];
        if (hypotheses.Count < 2)
        {
            rules.Add("hypotheses", ErrorCodes.TooFewHypotheses, "A topic needs at least two competing hypotheses.");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<Hypothesis>();
        for (var i = 0; i < hypotheses.Count; i++)
        {
            var h = hypotheses[i];
            var hid = rules.Slug($"hypotheses[{i}].id", h?.Id);
            if (hid is not null && !seen.Add(hid))
            {
                rules.Add($"hypotheses[{i}].id", ErrorCodes.DuplicateHypothesis, $"Hypothesis '{hid}' appears twice.");
            }
            rules.MaxLength($"hypotheses[{i}].label", h?.Label, Limits.LabelCharacters);
            rules.MaxLength($"hypotheses[{i}].description", h?.Description, Limits.DescriptionCharacters);
            if (rules.Required($"hypotheses[{i}].label", h?.Label) && hid is not null)
            {
                result.Add(new Hypothesis(hid, h!.Label!, h.Description));
            }
        }
        return rules.HasErrors
            ? new Validated<TopicOpened>(null, rules.Errors)
            : new Validated<TopicOpened>(new TopicOpened(id!, topic.Title!, start!.Value, end!.Value, [.. result]), []);
    }
}

public static class SourceValidator
{
    private static readonly string[] Grades = ["A", "B", "C", "D", "E", "F"];

    public static Validated<SourceRegistered> Validate(SourceInput source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var rules = new Rules();
        var id = rules.Slug("id", source.Id);
        rules.Required("name", source.Name);
        rules.Required("kind", source.Kind);
        rules.MaxLength("name", source.Name, Limits.LabelCharacters);
        rules.MaxLength("kind", source.Kind, Limits.LabelCharacters);
        rules.MaxLength("rationale", source.Rationale, Limits.DescriptionCharacters);
        if (rules.Required("reliability", source.Reliability) && !Grades.Contains(source.Reliability, StringComparer.Ordinal))
        {
            rules.Add("reliability", ErrorCodes.InvalidReliability, "reliability is an Admiralty source grade, A to F.");
        }
        return rules.HasErrors
            ? new Validated<SourceRegistered>(null, rules.Errors)
            : new Validated<SourceRegistered>(new SourceRegistered(id!, source.Name!, source.Kind!, source.Reliability!, source.Rationale), []);
    }
}

public static class ContextPeriodValidator
{
    public static Validated<ContextPeriodRecorded> Validate(ContextPeriodInput period)
    {
        ArgumentNullException.ThrowIfNull(period);
        var rules = new Rules();
        var id = rules.Slug("id", period.Id);
        rules.Required("label", period.Label);
        rules.MaxLength("label", period.Label, Limits.LabelCharacters);
        var category = rules.Slug("category", period.Category);
        var start = rules.Date("start", period.Start, required: true);
        var end = rules.Date("end", period.End, required: true);
        if (start > end)
        {
            rules.Add("end", ErrorCodes.PeriodOrder, "end must not be before start.");
        }
        else if (category == Timing.TimingTest.MilestoneCategory && start != end)
        {
            rules.Add("end", ErrorCodes.MilestoneSpan, "An aid-milestone is a single day (a vote, a summit decision, a signing): end must equal start.");
        }
        var decisionAt = rules.Date("decisionAt", period.DecisionAt, required: false);
        return rules.HasErrors
            ? new Validated<ContextPeriodRecorded>(null, rules.Errors)
            : new Validated<ContextPeriodRecorded>(new ContextPeriodRecorded(id!, period.Label!, category!, start!.Value, end!.Value, decisionAt), []);
    }
}

public static class CorrectionValidator
{
    /// <summary>
    /// What makes two corrections identical (README "Input rules"): the same document, the same reason (exact text),
    /// and the same change per item (id, ratings, credibility, retracted), whatever the order of the items or of the
    /// ratings. SHA-256, lower-case hex, over a canonical JSON form.
    /// </summary>
    public static string Fingerprint(string documentId, CorrectionInput correction)
    {
        ArgumentNullException.ThrowIfNull(correction);
        using var buffer = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("document", documentId);
            w.WriteString("reason", correction.Reason);
            w.WriteStartArray("items");
            foreach (var item in (correction.Items ?? []).Where(i => i is not null).OrderBy(i => i.Id, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("id", item.Id);
                if (item.Ratings is not null)
                {
                    w.WriteStartObject("ratings");
                    foreach (var (k, v) in item.Ratings.OrderBy(r => r.Key, StringComparer.Ordinal))
                    {
                        w.WriteString(k, v);
                    }
                    w.WriteEndObject();
                }
                if (item.Credibility is { } c)
                {
                    w.WriteNumber("credibility", c);
                }
                w.WriteBoolean("retracted", item.Retracted == true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(buffer.ToArray()));
    }

    /// <summary>
    /// A correction of one held document: <see cref="ItemRerated"/> for new ratings or credibility,
    /// <see cref="ItemRetracted"/> for a retraction (which may not be combined with new ratings).
    /// </summary>
    public static Validated<IReadOnlyList<object>> Validate(string documentId, CorrectionInput correction, KnownReferences known)
    {
        ArgumentNullException.ThrowIfNull(correction);
        ArgumentNullException.ThrowIfNull(known);
        var rules = new Rules();
        rules.Required("reason", correction.Reason);
        rules.MaxLength("reason", correction.Reason, Limits.DescriptionCharacters);
        var items = correction.Items ?? [];
        rules.MaxCount("items", items, Limits.CorrectionItems, "items");
        if (items.Count == 0)
        {
            rules.Add("items", ErrorCodes.Required, "A correction needs at least one item.");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var events = new List<object>();
        for (var i = 0; i < items.Count; i++)
        {
            if (ValidateItem($"items[{i}]", items[i], documentId, correction.Reason ?? "", known, rules, seen) is { } e)
            {
                events.Add(e);
            }
        }
        return rules.HasErrors
            ? new Validated<IReadOnlyList<object>>(null, rules.Errors)
            : new Validated<IReadOnlyList<object>>(events, []);
    }

    private static object? ValidateItem(string path, CorrectionItemInput? item, string documentId, string reason, KnownReferences known,
        Rules rules, HashSet<string> seen)
    {
        var start = rules.Errors.Count;
        var id = rules.Slug($"{path}.id", item?.Id);
        KnownItem? held = null;
        if (id is not null)
        {
            if (!seen.Add(id))
            {
                rules.Add($"{path}.id", ErrorCodes.DuplicateItem, $"Item '{id}' appears twice in this correction.");
            }
            else if (!known.Items.TryGetValue(id, out held))
            {
                rules.Add($"{path}.id", ErrorCodes.UnknownItem, $"Item '{id}' is not held.");
            }
            else if (held.DocumentId != documentId)
            {
                rules.Add($"{path}.id", ErrorCodes.ItemNotInDocument, $"Item '{id}' belongs to document '{held.DocumentId}'.");
            }
            else if (held.Retracted)
            {
                rules.Add($"{path}.id", ErrorCodes.ItemRetracted, $"Item '{id}' is already retracted.");
            }
        }
        if (item is null)
        {
            return null;
        }
        if (item.Ratings is not null)
        {
            var hypotheses = held is not null && known.Topics.TryGetValue(held.Topic, out var topic) ? topic.Hypotheses : null;
            // A re-rating overlays the held ratings: it names the hypotheses it changes (a hypothesis added by a
            // revision is rated item by item), and every name must be a hypothesis of the topic.
            rules.Ratings($"{path}.ratings", item.Ratings, hypotheses, requireAll: false);
        }
        rules.Credibility($"{path}.credibility", item.Credibility, required: false);
        var retract = item.Retracted == true;
        if (item.Ratings is null && item.Credibility is null && !retract)
        {
            rules.Add(path, ErrorCodes.EmptyCorrection, "Give new ratings, a new credibility or retracted: true.");
        }
        if (retract && (item.Ratings is not null || item.Credibility is not null))
        {
            rules.Add($"{path}.retracted", ErrorCodes.ConflictingCorrection, "A retraction cannot also re-rate the item.");
        }
        if (rules.Errors.Count > start || held is null)
        {
            return null;
        }
        return retract
            ? new ItemRetracted(id!, documentId, held.Topic, reason)
            : new ItemRerated(id!, documentId, held.Topic, item.Ratings?.ToImmutableSortedDictionary(StringComparer.Ordinal), item.Credibility, reason);
    }
}
