using System.Text;
using Narrative.Analysis.ReadModel;

namespace Narrative.Analysis.Tests;

/// <summary>The rebuild loader's memory of item ids and claims: a miss must be exact, a hit only a hint.</summary>
public sealed class FingerprintSetTests
{
    private static byte[] Key(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void every_added_key_keeps_its_tag_through_growth_and_keys_never_added_miss()
    {
        var set = new FingerprintSet();
        // Ids alike in all but a few characters, as real ones are.
        for (var i = 0; i < 200_000; i++) Assert.Equal(-1, set.GetOrAdd(Key($"topic-{i % 9}-doc-{i / 50}-i{i % 50}"), i % 7));
        Assert.Equal(200_000, set.Count);
        for (var i = 0; i < 200_000; i++) Assert.Equal(i % 7, set.Get(Key($"topic-{i % 9}-doc-{i / 50}-i{i % 50}")));
        for (var i = 0; i < 200_000; i++) Assert.Equal(-1, set.Get(Key($"topic-{i % 9}-doc-{i / 50}-j{i % 50}")));
        Assert.Equal(-1, set.Get([]));
    }

    [Fact]
    public void a_held_key_keeps_its_first_tag_until_marked_unknown()
    {
        var set = new FingerprintSet();
        Assert.Equal(-1, set.GetOrAdd(Key("claim-a"), 3));
        Assert.Equal(3, set.GetOrAdd(Key("claim-a"), 5));
        Assert.True(FingerprintSet.SameTag(set.Get(Key("claim-a")), 3));
        Assert.False(FingerprintSet.SameTag(set.Get(Key("claim-a")), 5));

        set.MarkUnknown(Key("claim-a"));
        Assert.Equal(FingerprintSet.Unknown, set.Get(Key("claim-a")));
        Assert.False(FingerprintSet.SameTag(set.Get(Key("claim-a")), 3));
        Assert.Equal(1, set.Count);
    }

    [Fact]
    public void a_tag_too_large_to_hold_is_unknown_and_never_the_same_as_any()
    {
        var set = new FingerprintSet();
        set.GetOrAdd(Key("x"), FingerprintSet.Unknown + 10);
        Assert.Equal(FingerprintSet.Unknown, set.Get(Key("x")));
        Assert.False(FingerprintSet.SameTag(set.Get(Key("x")), FingerprintSet.Unknown));
        Assert.False(FingerprintSet.SameTag(set.Get(Key("x")), FingerprintSet.Unknown + 10));
    }

    [Fact]
    public void with_one_bit_fingerprints_distinct_keys_collide_and_report_the_holder()
    {
        var set = new FingerprintSet(fingerprintBits: 1);
        var hits = 0;
        for (var i = 0; i < 10; i++)
            if (set.GetOrAdd(Key($"item-{i}"), i) >= 0) hits++;
        Assert.True(set.Count <= 2, $"{set.Count} slots");
        Assert.Equal(10 - set.Count, hits);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FingerprintSet(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FingerprintSet(FingerprintSet.MaxFingerprintBits + 1));
    }

    [Fact]
    public void the_hash_spreads_keys_that_differ_in_one_byte_or_in_length()
    {
        var hashes = new HashSet<ulong>();
        for (var i = 0; i < 256; i++) hashes.Add(FingerprintSet.Hash([(byte)i]));
        for (var n = 0; n < 40; n++) hashes.Add(FingerprintSet.Hash(new byte[n]));
        for (var i = 0; i < 10_000; i++) hashes.Add(FingerprintSet.Hash(Key($"bench-topic-2-doc-74-i{i}")));
        Assert.Equal(256 + 39 + 10_000, hashes.Count); // new byte[1] is also [(byte)0]
    }
}
