namespace Narrative.Domain.Corpus;

/// <summary>
/// <c>POST /api/topics/{topic}/hypotheses</c>: a revision of a held topic's hypothesis set (<paramref name="current"/>
/// are its hypotheses now). Split products may also be listed in <c>add</c> to give them a label; otherwise their id is
/// their label.
/// </summary>
public static class HypothesisRevisionValidator
{
    public static Validated<HypothesesRevised> Validate(string topicId, HypothesisRevisionInput input, IReadOnlySet<string> current)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(current);
        var rules = new Rules();
        rules.Required("reason", input.Reason);
        rules.MaxLength("reason", input.Reason, Limits.DescriptionCharacters);
        var (add, retire, split) = (input.Add ?? [], input.Retire ?? [], input.Split ?? []);
        if (add.Count == 0 && retire.Count == 0 && split.Count == 0)
        {
            rules.Add("$", ErrorCodes.EmptyRevision, "A revision adds, retires or splits at least one hypothesis.");
        }
        var leaving = new HashSet<string>(StringComparer.Ordinal);
        var added = new List<Hypothesis>();
        var newIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < add.Count; i++)
        {
            var h = add[i];
            var id = rules.Slug($"add[{i}].id", h?.Id);
            rules.MaxLength($"add[{i}].label", h?.Label, Limits.LabelCharacters);
            rules.MaxLength($"add[{i}].description", h?.Description, Limits.DescriptionCharacters);
            var labelled = rules.Required($"add[{i}].label", h?.Label);
            if (id is null)
            {
                continue;
            }
            if (current.Contains(id) || !newIds.Add(id))
            {
                rules.Add($"add[{i}].id", ErrorCodes.DuplicateHypothesis, $"Hypothesis '{id}' is already in the set.");
            }
            else if (labelled)
            {
                added.Add(new Hypothesis(id, h!.Label!, h.Description));
            }
        }
        for (var i = 0; i < retire.Count; i++)
        {
            if (rules.Slug($"retire[{i}]", retire[i]) is { } id && (!current.Contains(id) || !leaving.Add(id)))
            {
                rules.Add($"retire[{i}]", ErrorCodes.UnknownHypothesis, $"'{id}' is not a hypothesis of this topic (or is retired twice).");
            }
        }
        var splits = new List<HypothesisSplit>();
        for (var i = 0; i < split.Count; i++)
        {
            var s = split[i];
            var from = rules.Slug($"split[{i}].from", s?.From);
            if (from is not null && (!current.Contains(from) || !leaving.Add(from)))
            {
                rules.Add($"split[{i}].from", ErrorCodes.UnknownHypothesis, $"'{from}' is not a hypothesis of this topic (or already leaves the set).");
            }
            var into = s?.Into ?? [];
            if (into.Count < 2)
            {
                rules.Add($"split[{i}].into", ErrorCodes.SplitTooFew, "A split names at least two new hypotheses.");
            }
            var parts = new List<string>();
            for (var j = 0; j < into.Count; j++)
            {
                if (rules.Slug($"split[{i}].into[{j}]", into[j]) is not { } part)
                {
                    continue;
                }
                if (current.Contains(part) || parts.Contains(part) || splits.Any(x => x.Into.Contains(part)))
                {
                    rules.Add($"split[{i}].into[{j}]", ErrorCodes.DuplicateHypothesis, $"Hypothesis '{part}' is already in the set.");
                    continue;
                }
                parts.Add(part);
                if (!newIds.Contains(part))
                {
                    added.Add(new Hypothesis(part, part, from is null ? null : $"Split from '{from}'."));
                }
            }
            if (from is not null)
            {
                splits.Add(new HypothesisSplit(from, parts));
            }
        }
        if (!rules.HasErrors && current.Count - leaving.Count + added.Count < 2)
        {
            rules.Add("$", ErrorCodes.TooFewHypotheses, "A topic needs at least two competing hypotheses after the revision.");
        }
        return rules.HasErrors
            ? new Validated<HypothesesRevised>(null, rules.Errors)
            : new Validated<HypothesesRevised>(new HypothesesRevised(topicId, input.Reason!, added, [.. retire], splits), []);
    }
}

/// <summary>A new reliability for a held source (<c>POST /api/sources</c> with a different grade and a reason).</summary>
public static class SourceRegradeValidator
{
    public static Validated<SourceRegraded> Validate(SourceInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var rules = new Rules();
        var id = rules.Slug("id", input.Id);
        if (SourceValidator.Validate(input).Errors is { Count: > 0 } errors)
        {
            return new Validated<SourceRegraded>(null, errors);
        }
        if (!rules.Required("reason", input.Reason))
        {
            return new Validated<SourceRegraded>(null,
                [new FieldError("reason", ErrorCodes.RegradeNeedsReason, "A new reliability for a held source is a regrade: give the reason.")]);
        }
        rules.MaxLength("reason", input.Reason, Limits.DescriptionCharacters);
        return rules.HasErrors
            ? new Validated<SourceRegraded>(null, rules.Errors)
            : new Validated<SourceRegraded>(new SourceRegraded(id!, input.Reliability!, input.Reason!), []);
    }
}

/// <summary><c>POST /api/topics/{topic}/signposts</c>, against the topic's current hypotheses.</summary>
public static class SignpostValidator
{
    public static Validated<SignpostSet> Validate(string topicId, SignpostInput input, IReadOnlySet<string> hypotheses)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(hypotheses);
        var rules = new Rules();
        var id = rules.Slug("id", input.Id);
        var hypothesis = rules.Slug("hypothesis", input.Hypothesis);
        if (hypothesis is not null && !hypotheses.Contains(hypothesis))
        {
            rules.Add("hypothesis", ErrorCodes.UnknownHypothesis, $"'{hypothesis}' is not a hypothesis of this topic.");
        }
        rules.Required("description", input.Description);
        rules.MaxLength("description", input.Description, Limits.DescriptionCharacters);
        if (rules.Required("expect", input.Expect) && input.Expect is not ("present" or "absent"))
        {
            rules.Add("expect", ErrorCodes.InvalidExpect, "expect is present or absent.");
        }
        var match = input.Match;
        if (match is null)
        {
            rules.Add("match", ErrorCodes.Required, "match is required: types, claims and/or sources.");
        }
        else
        {
            if ((match.Types?.Count ?? 0) + (match.Claims?.Count ?? 0) + (match.Sources?.Count ?? 0) == 0)
            {
                rules.Add("match", ErrorCodes.EmptyMatch, "match names at least one type, claim or source.");
            }
            for (var i = 0; i < (match.Types?.Count ?? 0); i++)
            {
                if (!Rules.ItemTypes.Contains(match.Types![i] ?? ""))
                {
                    rules.Add($"match.types[{i}]", ErrorCodes.InvalidType, "A type is one of signal, statement, action, assessment, rebuttal, report.");
                }
            }
            for (var i = 0; i < (match.Claims?.Count ?? 0); i++)
            {
                rules.Slug($"match.claims[{i}]", match.Claims![i]);
            }
            for (var i = 0; i < (match.Sources?.Count ?? 0); i++)
            {
                rules.Slug($"match.sources[{i}]", match.Sources![i]);
            }
        }
        var from = rules.Date("from", input.From, required: true);
        var deadline = rules.Date("deadline", input.Deadline, required: true);
        if (from > deadline)
        {
            rules.Add("deadline", ErrorCodes.PeriodOrder, "deadline must not be before from.");
        }
        return rules.HasErrors
            ? new Validated<SignpostSet>(null, rules.Errors)
            : new Validated<SignpostSet>(new SignpostSet(topicId, id!, hypothesis!, input.Description!, input.Expect!,
                new SignpostPattern([.. match!.Types ?? []], [.. match.Claims ?? []], [.. match.Sources ?? []]), from!.Value, deadline!.Value), []);
    }
}
