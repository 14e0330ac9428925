using System.Buffers.Binary;

namespace Narrative.Analysis.ReadModel;

/// <summary>
/// A set of UTF-8 keys, each with a small tag (a topic number), kept as fingerprints in one open-addressed array of
/// 64-bit slots: no string or other object per key, and usually one memory access per lookup. The rebuild loader
/// remembers every item id and claim of the log in two of these; as dictionaries of strings they cost it about a
/// microsecond per item in cache misses and garbage collection, more than parsing the item.
/// <para>
/// Two different keys can share a fingerprint, so a hit only says that the key was probably added, and callers treat
/// it as a reason to check against the database, never as proof. A miss is exact.
/// </para>
/// </summary>
internal sealed class FingerprintSet
{
    private const int TagBits = 20;
    private const ulong TagMask = (1UL << TagBits) - 1;

    /// <summary>
    /// The most fingerprint bits a slot holds. With a million keys, two of them share one in about one rebuild in 35
    /// (n²/2 pairs over 2^44 values); that costs the second item a trip through the incremental path, nothing more.
    /// </summary>
    public const int MaxFingerprintBits = 64 - TagBits;

    /// <summary>The tag of a key whose tag cannot be told: marked so, or added with a tag too large to hold.</summary>
    public const int Unknown = (int)TagMask - 1;

    private readonly int _fingerprintBits;
    private ulong[] _slots;

    /// <param name="fingerprintBits">Fewer bits make keys share fingerprints often; tests use that to exercise the checks.</param>
    public FingerprintSet(int fingerprintBits = MaxFingerprintBits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fingerprintBits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fingerprintBits, MaxFingerprintBits);
        _fingerprintBits = fingerprintBits;
        _slots = new ulong[1024];
    }

    public int Count { get; private set; }

    /// <summary>True when a held key's tag, as returned by <see cref="Get"/>, is certainly <paramref name="tag"/>.</summary>
    public static bool SameTag(int held, int tag) => held != Unknown && held == tag;

    /// <summary>The tag of the key (or of another key with its fingerprint), or -1 when no such key was added.</summary>
    public int Get(ReadOnlySpan<byte> key)
    {
        ref var slot = ref Find(Fingerprint(key), out var found);
        return found ? TagOf(slot) : -1;
    }

    /// <summary>
    /// Adds the key with <paramref name="tag"/>, or, when a key with its fingerprint is already held, leaves that one
    /// alone and returns its tag. -1 means the key was added.
    /// </summary>
    public int GetOrAdd(ReadOnlySpan<byte> key, int tag)
    {
        var fingerprint = Fingerprint(key);
        ref var slot = ref Find(fingerprint, out var found);
        if (found) return TagOf(slot);
        slot = fingerprint << TagBits | (uint)(Math.Min(tag, Unknown) + 1);
        if (++Count * 2 > _slots.Length) Grow();
        return -1;
    }

    /// <summary>Gives a held key the tag <see cref="Unknown"/>: two keys share its fingerprint, so its tag may be the other's.</summary>
    public void MarkUnknown(ReadOnlySpan<byte> key)
    {
        ref var slot = ref Find(Fingerprint(key), out var found);
        if (found) slot = (slot & ~TagMask) | (uint)(Unknown + 1);
    }

    private static int TagOf(ulong slot) => (int)(slot & TagMask) - 1;

    private ulong Fingerprint(ReadOnlySpan<byte> key) => Hash(key) >> (64 - _fingerprintBits);

    /// <summary>The slot holding <paramref name="fingerprint"/>, or the empty slot where it would go. Slots are placed by fingerprint, so they can be moved without the keys.</summary>
    private ref ulong Find(ulong fingerprint, out bool found)
    {
        var mask = _slots.Length - 1;
        var i = (int)(fingerprint & (ulong)mask);
        while (true)
        {
            ref var slot = ref _slots[i];
            if (slot == 0 || slot >> TagBits == fingerprint)
            {
                found = slot != 0;
                return ref slot;
            }
            i = (i + 1) & mask;
        }
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new ulong[old.Length * 2];
        foreach (var slot in old)
            if (slot != 0) Find(slot >> TagBits, out _) = slot;
    }

    /// <summary>
    /// A 64-bit hash of the bytes, eight at a time, each round a 64×64→128-bit multiply folded in half (as in wyhash).
    /// Its quality only affects speed: a shared fingerprint is always checked.
    /// </summary>
    internal static ulong Hash(ReadOnlySpan<byte> key)
    {
        const ulong P0 = 0xa0761d6478bd642f, P1 = 0xe7037ed1a0b428db, P2 = 0x8ebc6af09c88c6e3;
        var h = P0 ^ (ulong)key.Length * P2;
        while (key.Length >= 8)
        {
            h = Mix(h ^ BinaryPrimitives.ReadUInt64LittleEndian(key), P1);
            key = key[8..];
        }
        ulong tail = 0;
        for (var i = 0; i < key.Length; i++) tail |= (ulong)key[i] << (8 * i);
        return Mix(Mix(h ^ tail, P1) ^ P0, P2);
    }

    private static ulong Mix(ulong a, ulong b)
    {
        var high = Math.BigMul(a, b, out var low);
        return high ^ low;
    }
}
