using System.Text.Json;
using Narrative.Domain.Corpus;

namespace Narrative.Analysis.Ingestion;

public enum CorpusKind { Source, Topic, ContextPeriod, Document }

/// <summary>One thing to ingest, read from a file. <see cref="Error"/> is set when the file could not be parsed.</summary>
public sealed record CorpusEntry(string File, CorpusKind Kind, string Id, object? Input, int SizeBytes, string? Error = null);

/// <summary>
/// Reads files and folders in the corpus layout (sources.json, topics/*.json, context.json, documents/*.json, or
/// loose document files) and orders them so every reference points backwards: sources, topics and context periods
/// first, then documents so that cited documents and rebutted items come before the documents that name them.
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
        catch (IOException ex) { return [new CorpusEntry(file, CorpusKind.Document, "", null, 0, ex.Message)]; }
        var name = Path.GetFileName(file);
        var dir = Path.GetFileName(Path.GetDirectoryName(file)) ?? "";
        try
        {
            if (name == "sources.json")
                return Many<SourceInput>(file, bytes).Select(s => new CorpusEntry(file, CorpusKind.Source, s.Id ?? "", s, 0));
            if (name == "context.json")
                return Many<ContextPeriodInput>(file, bytes).Select(c => new CorpusEntry(file, CorpusKind.ContextPeriod, c.Id ?? "", c, 0));
            if (dir == "topics")
            {
                var t = JsonSerializer.Deserialize<TopicInput>(bytes, NarrativeEvents.Json)!;
                return [new CorpusEntry(file, CorpusKind.Topic, t.Id ?? "", t, bytes.Length)];
            }
            if (name.Equals("package.json", StringComparison.Ordinal) || name.EndsWith(".lock.json", StringComparison.Ordinal)) return [];
            var d = JsonSerializer.Deserialize<DocumentInput>(bytes, NarrativeEvents.Json)!;
            return [new CorpusEntry(file, CorpusKind.Document, d.Id ?? "", d, bytes.Length)];
        }
        catch (JsonException ex)
        {
            return [new CorpusEntry(file, CorpusKind.Document, "", null, bytes.Length, $"not valid JSON: {ex.Message}")];
        }
    }

    private static IEnumerable<T> Many<T>(string file, byte[] bytes) =>
        JsonSerializer.Deserialize<List<T>>(bytes, NarrativeEvents.Json) ?? throw new JsonException($"{file} holds no list");

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
