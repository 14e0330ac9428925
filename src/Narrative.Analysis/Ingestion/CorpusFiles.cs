using System.Text.Json;
using Narrative.Domain.Corpus;

namespace Narrative.Analysis.Ingestion;

public enum CorpusKind { Source, Topic, Revision, ContextPeriod, Signpost, Document }

/// <summary>A revision of <paramref name="Topic"/>'s hypotheses, from <c>topics/&lt;topic&gt;/revisions.json</c>.</summary>
public sealed record TopicRevisionInput(string Topic, HypothesisRevisionInput Revision);

/// <summary>A signpost on <paramref name="Topic"/>, from <c>topics/&lt;topic&gt;/signposts.json</c>.</summary>
public sealed record TopicSignpostInput(string Topic, SignpostInput Signpost);

/// <summary>
/// One thing to ingest, read from a file. <see cref="Errors"/> is set (and <see cref="Input"/> null) when the file could
/// not be read, is not JSON, or has the wrong shape (unknown fields, wrong types).
/// </summary>
public sealed record CorpusEntry(string File, CorpusKind Kind, string Id, object? Input, int SizeBytes, IReadOnlyList<FieldError>? Errors = null);

/// <summary>
/// Reads files and folders in the corpus layout (sources.json, topics/*.json, topics/&lt;topic&gt;/revisions.json and
/// signposts.json, context.json, documents/*.json, or loose document files) and orders them so every reference points
/// backwards: sources, topics, revisions (in file order), context periods and signposts first, then documents so that cited documents and rebutted items come before the documents that name them.
/// </summary>
public static class CorpusFiles
{
    public static IReadOnlyList<CorpusEntry> Load(IEnumerable<string> paths)
    {
        var files = paths.SelectMany(p => Directory.Exists(p)
                ? Directory.EnumerateFiles(p, "*.json", SearchOption.AllDirectories)
                : [p])
            .Select(Path.GetFullPath).Distinct().Order(StringComparer.Ordinal).ToList();
        var entries = new List<CorpusEntry>();
        foreach (var file in files) entries.AddRange(Read(file));
        return Order(entries);
    }

    private static IEnumerable<CorpusEntry> Read(string file)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(file); }
        catch (IOException ex) { return [Unreadable(file, CorpusKind.Document, "", 0, [new FieldError("$", "unreadable", ex.Message)])]; }
        var name = Path.GetFileName(file);
        var dir = Path.GetFileName(Path.GetDirectoryName(file)) ?? "";
        if (name == "sources.json") return Many<SourceInput>(file, bytes, CorpusKind.Source, s => s.Id);
        if (name == "context.json") return Many<ContextPeriodInput>(file, bytes, CorpusKind.ContextPeriod, c => c.Id);
        if (dir == "topics") return [One<TopicInput>(file, bytes, CorpusKind.Topic, t => t.Id)];
        var parent = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(file))) ?? "";
        if (parent == "topics" && name == "revisions.json")
            return Many<HypothesisRevisionInput>(file, bytes, CorpusKind.Revision, _ => dir).Select(e => e with { Input = e.Input is HypothesisRevisionInput r ? new TopicRevisionInput(dir, r) : null });
        if (parent == "topics" && name == "signposts.json")
            return Many<SignpostInput>(file, bytes, CorpusKind.Signpost, s => s.Id).Select(e => e with { Input = e.Input is SignpostInput s ? new TopicSignpostInput(dir, s) : null });
        if (name.Equals("package.json", StringComparison.Ordinal) || name.EndsWith(".lock.json", StringComparison.Ordinal)) return [];
        return [One<DocumentInput>(file, bytes, CorpusKind.Document, d => d.Id)];
    }

    private static CorpusEntry One<T>(string file, byte[] bytes, CorpusKind kind, Func<T, string?> id) where T : class
    {
        var (value, errors) = CorpusJson.Parse<T>(bytes);
        return value is null
            ? Unreadable(file, kind, PeekId(bytes), bytes.Length, errors)
            : new CorpusEntry(file, kind, id(value) ?? "", value, bytes.Length);
    }

    private static IEnumerable<CorpusEntry> Many<T>(string file, byte[] bytes, CorpusKind kind, Func<T, string?> id) where T : class
    {
        var (values, errors) = CorpusJson.ParseList<T>(bytes);
        return values is null
            ? [Unreadable(file, kind, "", bytes.Length, errors)]
            : values.Select(v => new CorpusEntry(file, kind, id(v) ?? "", v, 0));
    }

    private static CorpusEntry Unreadable(string file, CorpusKind kind, string id, int size, IReadOnlyList<FieldError> errors) =>
        new(file, kind, id, null, size, errors);

    /// <summary>The id of a file whose shape is wrong, so that the report can still name the document.</summary>
    private static string PeekId(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var id)
                && id.ValueKind == JsonValueKind.String ? id.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static IReadOnlyList<CorpusEntry> Order(List<CorpusEntry> entries)
    {
        var head = entries.Where(e => e.Kind != CorpusKind.Document).OrderBy(e => e.Kind).ToList();
        var docs = entries.Where(e => e.Kind == CorpusKind.Document).ToList();
        var byId = docs.Where(d => d.Input is not null).GroupBy(d => d.Id).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var itemOwner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in byId.Values)
            foreach (var i in ((DocumentInput)d.Input!).Items ?? [])
                if (i?.Id is { } iid) itemOwner.TryAdd(iid, d.Id);

        IEnumerable<string> DependsOn(CorpusEntry d)
        {
            var input = (DocumentInput)d.Input!;
            foreach (var c in input.Cites ?? []) yield return c;
            foreach (var r in (input.Items ?? []).SelectMany(i => i?.Rebuts ?? []))
                if (itemOwner.TryGetValue(r, out var owner)) yield return owner;
        }

        // Depth-first topological order; ties by publishedAt then id, so the order is stable. Cycles are left to validation.
        var ordered = new List<CorpusEntry>();
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        void Visit(CorpusEntry d)
        {
            if (state.GetValueOrDefault(d.Id) != 0) return;
            state[d.Id] = 1;
            foreach (var dep in DependsOn(d).Where(x => x != d.Id && byId.ContainsKey(x)).Select(x => byId[x]).OrderBy(Key, StringComparer.Ordinal))
                Visit(dep);
            state[d.Id] = 2;
            ordered.Add(d);
        }
        static string Key(CorpusEntry d) => $"{((DocumentInput)d.Input!).PublishedAt}|{d.Id}";
        foreach (var d in byId.Values.OrderBy(Key, StringComparer.Ordinal)) Visit(d);
        var rest = docs.Where(d => d.Input is null || !ReferenceEquals(byId.GetValueOrDefault(d.Id), d));
        return [.. head, .. ordered, .. rest];
    }
}
