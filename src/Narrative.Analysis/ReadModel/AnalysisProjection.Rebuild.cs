using System.Text;
using System.Text.Json;
using Narrative.Domain;
using Narrative.Storage;
using Narrative.Storage.Postgres;
using Narrative.Storage.Rebuilds;
using Npgsql;

namespace Narrative.Analysis.ReadModel;

public sealed partial class AnalysisProjection
{
    /// <summary>
    /// The rebuild path: the same rows as the incremental <see cref="ApplyAsync(NpgsqlConnection, NpgsqlTransaction, string, IReadOnlyList{JasperFx.Events.IEvent}, CancellationToken)"/>, written into tables without indexes. The loader
    /// remembers a fingerprint of every item id (see <see cref="FingerprintSet"/>): an id never seen goes straight into
    /// the rows; one that may have been (a repeated ItemRecorded, or rarely a new id with a shared fingerprint) waits for
    /// the indexes, like re-ratings and retractions, which look rows up by key, and is then written the incremental way.
    /// Applying them last gives the same rows: each refers to an item recorded before it, and only that item's own
    /// earlier events decide its outcome.
    /// <para>
    /// Items, nearly the whole log, take a fast path: their JSON is read token by token and copied straight into a
    /// binary COPY row, without an <see cref="ItemRecorded"/> object, UTF-16 strings for every field, or a ratings
    /// dictionary serialised back to JSON. Any item whose JSON is not in the exact shape the event serialiser writes
    /// (an unknown or escaped property name, a missing field, a number as a string…) goes the ordinary way: deserialised,
    /// then written by the same <see cref="Writer"/> as the live path. Either way the row is the same.
    /// </para>
    /// </summary>
    private sealed class Loader : IRebuildLoader
    {
        private readonly byte[] _itemRecorded;

        // Every item id seen (tagged with its topic's number) and every claim (tagged with the first topic that carried
        // it), as fingerprints: a rebuild meets a million of them. A fingerprint seen before is only a hint; see Remember.
        private readonly FingerprintSet _items;
        private readonly FingerprintSet _claims;
        private readonly Dictionary<string, int> _topicNumbers = new(StringComparer.Ordinal);
        private byte[] _lastTopic = [];
        private int _lastTopicNumber = -1;
        // The claims that a second topic may have joined, and every rebuttal with its rebutter's topic number.
        private readonly HashSet<string> _sharedClaims = new(StringComparer.Ordinal);
        private readonly List<(string Target, string Rebuttal, int Topic)> _rebuttals = [];
        // Work for CompleteAsync, in log order: re-ratings and retractions, and items whose id may already be held.
        private readonly List<(object Data, long Position, DateTimeOffset RecordedAt)> _deferred = [];
        private byte[] _scratch = new byte[1024];
        // Item row buffers come back here once written, so a rebuild reuses a handful of them instead of allocating a
        // large-object-heap array per chunk (each of which invites a full collection).
        private readonly System.Collections.Concurrent.ConcurrentQueue<BinaryCopyRows> _written = new();
        private Chunk _chunk;

        public Loader(int fingerprintBits)
        {
            _items = new FingerprintSet(fingerprintBits);
            _claims = new FingerprintSet(fingerprintBits);
            _itemRecorded = Encoding.UTF8.GetBytes(NarrativeEvents.NameOf(typeof(ItemRecorded)));
            _chunk = new Chunk(new BinaryCopyRows(1 << 20), _written);
        }

        public void Add(RawEvent e)
        {
            if (e.Type.SequenceEqual(_itemRecorded) && TryAddItem(e)) return;
            var data = NarrativeEvents.Deserialize(Encoding.UTF8.GetString(e.Type), e.Data);
            if (data is ItemRerated or ItemRetracted or SourceRegraded or HypothesesRevised) _deferred.Add((data, e.Position, e.RecordedAt));
            else if (data is not ItemRecorded i) _chunk.Others.Add(data, e.Position, e.RecordedAt);
            else
            {
                var topic = TopicNumber(i.Topic);
                if (!Remember(Encoding.UTF8.GetBytes(i.ItemId), topic, Encoding.UTF8.GetBytes(i.Claim)))
                {
                    _deferred.Add((data, e.Position, e.RecordedAt));
                    return;
                }
                foreach (var target in i.Rebuts.Distinct()) _rebuttals.Add((target, i.ItemId, topic));
                _chunk.Others.Add(data, e.Position, e.RecordedAt);
            }
        }

        public IRebuildChunk TakeChunk()
        {
            var full = _chunk;
            if (!_written.TryDequeue(out var rows)) rows = new BinaryCopyRows(full.Items.Length + full.Items.Length / 8);
            _chunk = new Chunk(rows, _written);
            return full;
        }

        public async Task CompleteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct)
        {
            foreach (var (data, position, recordedAt) in _deferred)
            {
                if (data is ItemRerated r) await RerateAsync(conn, tx, schema, r, position, recordedAt, ct);
                else if (data is ItemRetracted x) await RetractAsync(conn, tx, schema, x, position, recordedAt, ct);
                else if (data is SourceRegraded g) await RegradeAsync(conn, tx, schema, g, position, recordedAt, ct);
                else if (data is HypothesesRevised h) await ReviseAsync(conn, tx, schema, h, position, recordedAt, ct);
                else
                {
                    // An item whose id may already be held: written as the incremental path writes it, which skips a
                    // repeat and links a new one.
                    var writer = new Writer();
                    writer.Add(data, position, recordedAt);
                    await writer.FlushAsync(conn, tx, schema, incremental: true, ct);
                }
            }
            // topic_links, as the incremental path writes them: every item of the claims a second topic joined, and the
            // rebuttals that cross topics. Memory only narrows the candidates (a target never seen cannot be linked, nor
            // one known to be in the rebutter's topic); the statement checks the rest against the rows.
            var crossing = _rebuttals.Where(r => _items.Get(Encoding.UTF8.GetBytes(r.Target)) is var held && held >= 0
                && !FingerprintSet.SameTag(held, r.Topic)).ToList();
            await LinkAsync(conn, tx, schema, [], [.. _sharedClaims],
                [.. crossing.Select(r => r.Target)], [.. crossing.Select(r => r.Rebuttal)], ct);
        }

        /// <summary>
        /// Notes a new item; false when its id's fingerprint is already held: a repeated ItemRecorded, which the replay
        /// skips, or, very rarely, another id with the same fingerprint. Either way the item goes to <see cref="CompleteAsync"/>,
        /// which tells them apart with the items' key, and the fingerprint's topic is no longer trusted.
        /// A claim whose fingerprint another topic holds becomes a candidate shared claim, which the link statement checks.
        /// </summary>
        private bool Remember(ReadOnlySpan<byte> itemId, int topic, ReadOnlySpan<byte> claim)
        {
            if (_items.GetOrAdd(itemId, topic) >= 0)
            {
                _items.MarkUnknown(itemId);
                return false;
            }
            var first = _claims.GetOrAdd(claim, topic);
            if (first >= 0 && !FingerprintSet.SameTag(first, topic)) _sharedClaims.Add(Encoding.UTF8.GetString(claim));
            return true;
        }

        private int TopicNumber(string topic)
        {
            if (!_topicNumbers.TryGetValue(topic, out var number))
            {
                _topicNumbers[topic] = number = _topicNumbers.Count;
            }
            return number;
        }

        /// <summary>The topic's number from its UTF-8 name; items come in runs of one topic, so the last one usually answers.</summary>
        private int TopicNumber(ReadOnlySpan<byte> topic)
        {
            if (!topic.SequenceEqual(_lastTopic))
            {
                _lastTopicNumber = TopicNumber(Encoding.UTF8.GetString(topic));
                _lastTopic = topic.ToArray();
            }
            return _lastTopicNumber;
        }

        /// <summary>The fast path for one ItemRecorded; false when its JSON needs the ordinary deserialiser.</summary>
        private bool TryAddItem(RawEvent e)
        {
            if (_scratch.Length < e.Data.Length) _scratch = new byte[Math.Max(e.Data.Length, _scratch.Length * 2)];
            ItemJson item;
            try
            {
                if (!ItemJson.TryParse(e.Data, _scratch, out item)) return false;
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
            {
                return false;
            }

            var topic = TopicNumber(item.Topic);
            if (!Remember(item.ItemId, topic, item.Claim))
            {
                _deferred.Add((NarrativeEvents.Deserialize(Encoding.UTF8.GetString(e.Type), e.Data)!, e.Position, e.RecordedAt));
                return true;
            }
            var rebuts = item.Rebuts ?? [];
            var distinct = rebuts.Count == 0 ? rebuts : rebuts.Distinct().ToList();
            var itemId = distinct.Count == 0 ? null : Encoding.UTF8.GetString(item.ItemId);
            foreach (var target in distinct) _rebuttals.Add((target, itemId!, topic));

            var row = _chunk.Items;
            row.StartRow(18);
            row.Text(item.ItemId);
            row.Text(item.DocumentId);
            row.Text(item.Source);
            row.Text(item.Topic);
            row.Text(item.Type);
            row.Text(item.Claim);
            row.Date(item.PublishedAt);
            row.Int64(e.Position);
            row.TimestampMicros(e.RecordedAtMicros);
            row.Text(item.Summary);
            Optional(row, item.Quote, item.HasQuote);
            Optional(row, item.AttributedTo, item.HasAttributedTo);
            if (item.OccurredAt is { } occurred) row.Date(occurred);
            else row.Null();
            var array = row.StartTextArray();
            foreach (var target in rebuts) row.Text(target);
            row.EndTextArray(array, rebuts.Count);
            Optional(row, item.Note, item.HasNote);
            row.Jsonb(item.Ratings);
            row.Int32(item.Credibility);
            Optional(row, item.Speaker, item.HasSpeaker);
            foreach (var target in distinct) _chunk.Others.AddRebuttal(target, itemId!);
            return true;
        }

        private static void Optional(BinaryCopyRows row, ReadOnlySpan<byte> value, bool present)
        {
            if (present) row.Text(value);
            else row.Null();
        }
    }

    /// <summary>One transaction's worth of rebuild rows: items in binary COPY form, everything else in a <see cref="Writer"/>.</summary>
    private sealed class Chunk(BinaryCopyRows items, System.Collections.Concurrent.ConcurrentQueue<BinaryCopyRows> written) : IRebuildChunk
    {
        public BinaryCopyRows Items { get; } = items;

        public Writer Others { get; } = new();

        public async Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct)
        {
            await Others.FlushAsync(conn, tx, schema, incremental: false, ct);
            await Items.CopyAsync(conn, $"copy {schema}.items ({ItemColumns}) from stdin (format binary)", ct);
            Items.Clear();
            written.Enqueue(Items);
        }
    }

    /// <summary>
    /// The fields of an ItemRecorded read straight from its UTF-8 JSON. Text fields are spans: into the JSON itself,
    /// or into a scratch buffer when the JSON escaped them. Only the exact shape the event serialiser writes is
    /// accepted (camelCase names, unescaped, each field with its own token type); anything else returns false.
    /// </summary>
    private ref struct ItemJson
    {
        public ReadOnlySpan<byte> ItemId, DocumentId, Source, Topic, Type, Claim, Summary, Quote, AttributedTo, Note, Ratings, Speaker;
        public bool HasQuote, HasAttributedTo, HasNote, HasSpeaker;
        public DateOnly PublishedAt;
        public DateOnly? OccurredAt;
        public int Credibility;
        public List<string>? Rebuts;

        private const int Required = (1 << 11) - 1;

        public static bool TryParse(ReadOnlySpan<byte> json, Span<byte> scratch, out ItemJson item)
        {
            item = default;
            var seen = 0;
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject) break;
                if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped) return false;
                var name = reader.ValueSpan;
                reader.Read();
                int bit;
                if (name.SequenceEqual("itemId"u8)) { bit = 0; if (!Text(ref reader, ref scratch, out item.ItemId)) return false; }
                else if (name.SequenceEqual("documentId"u8)) { bit = 1; if (!Text(ref reader, ref scratch, out item.DocumentId)) return false; }
                else if (name.SequenceEqual("source"u8)) { bit = 2; if (!Text(ref reader, ref scratch, out item.Source)) return false; }
                else if (name.SequenceEqual("publishedAt"u8)) { bit = 3; if (!Date(ref reader, out item.PublishedAt)) return false; }
                else if (name.SequenceEqual("topic"u8)) { bit = 4; if (!Text(ref reader, ref scratch, out item.Topic)) return false; }
                else if (name.SequenceEqual("type"u8)) { bit = 5; if (!Text(ref reader, ref scratch, out item.Type)) return false; }
                else if (name.SequenceEqual("claim"u8)) { bit = 6; if (!Text(ref reader, ref scratch, out item.Claim)) return false; }
                else if (name.SequenceEqual("summary"u8)) { bit = 7; if (!Text(ref reader, ref scratch, out item.Summary)) return false; }
                else if (name.SequenceEqual("credibility"u8))
                {
                    bit = 8;
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out item.Credibility)) return false;
                }
                else if (name.SequenceEqual("ratings"u8)) { bit = 9; if (!RatingsObject(ref reader, json, out item.Ratings)) return false; }
                else if (name.SequenceEqual("rebuts"u8)) { bit = 10; if (!Strings(ref reader, out item.Rebuts)) return false; }
                else if (name.SequenceEqual("quote"u8)) { bit = 11; if (!OptionalText(ref reader, ref scratch, out item.Quote, out item.HasQuote)) return false; }
                else if (name.SequenceEqual("attributedTo"u8)) { bit = 12; if (!OptionalText(ref reader, ref scratch, out item.AttributedTo, out item.HasAttributedTo)) return false; }
                else if (name.SequenceEqual("note"u8)) { bit = 13; if (!OptionalText(ref reader, ref scratch, out item.Note, out item.HasNote)) return false; }
                else if (name.SequenceEqual("speaker"u8)) { bit = 15; if (!OptionalText(ref reader, ref scratch, out item.Speaker, out item.HasSpeaker)) return false; }
                else if (name.SequenceEqual("occurredAt"u8))
                {
                    bit = 14;
                    if (reader.TokenType == JsonTokenType.Null) item.OccurredAt = null;
                    else if (Date(ref reader, out var occurred)) item.OccurredAt = occurred;
                    else return false;
                }
                else return false;
                seen |= 1 << bit;
            }
            return (seen & Required) == Required && reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0;
        }

        private static bool Text(scoped ref Utf8JsonReader reader, scoped ref Span<byte> scratch, out ReadOnlySpan<byte> value)
        {
            value = default;
            if (reader.TokenType != JsonTokenType.String) return false;
            if (!reader.ValueIsEscaped)
            {
                value = reader.ValueSpan;
                return true;
            }
            var n = reader.CopyString(scratch);
            value = scratch[..n];
            scratch = scratch[n..];
            return true;
        }

        private static bool OptionalText(scoped ref Utf8JsonReader reader, scoped ref Span<byte> scratch, out ReadOnlySpan<byte> value, out bool present)
        {
            value = default;
            present = reader.TokenType != JsonTokenType.Null;
            return !present || Text(ref reader, ref scratch, out value);
        }

        private static bool Date(scoped ref Utf8JsonReader reader, out DateOnly value)
        {
            value = default;
            if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped) return false;
            // yyyy-MM-dd by hand: DateOnly.TryParseExact goes through culture-aware parsing, which was most of this path's time.
            var s = reader.ValueSpan;
            if (s.Length != 10 || s[4] != '-' || s[7] != '-') return false;
            if (!Digits(s[..4], out var year) || !Digits(s[5..7], out var month) || !Digits(s[8..], out var day)) return false;
            if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
            value = new DateOnly(year, month, day);
            return true;
        }

        private static bool Digits(ReadOnlySpan<byte> s, out int value)
        {
            value = 0;
            foreach (var c in s)
            {
                if (c is < (byte)'0' or > (byte)'9') return false;
                value = value * 10 + (c - '0');
            }
            return true;
        }

        /// <summary>The ratings object as raw JSON (jsonb parses it; escapes included). Every value must be a string or null.</summary>
        private static bool RatingsObject(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> json, out ReadOnlySpan<byte> raw)
        {
            raw = default;
            if (reader.TokenType != JsonTokenType.StartObject) return false;
            var start = (int)reader.TokenStartIndex;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                if (reader.TokenType != JsonTokenType.PropertyName || !reader.Read()) return false;
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null)) return false;
            }
            raw = json[start..(int)reader.BytesConsumed];
            return true;
        }

        private static bool Strings(scoped ref Utf8JsonReader reader, out List<string>? values)
        {
            values = null;
            if (reader.TokenType != JsonTokenType.StartArray) return false;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.String) return false;
                (values ??= []).Add(reader.GetString()!);
            }
            return true;
        }
    }
}
