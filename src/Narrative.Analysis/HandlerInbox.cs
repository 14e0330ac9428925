using Wolverine.Persistence.Durability;

namespace Narrative.Analysis;

/// <summary>
/// What Wolverine's durable inbox holds for the handlers, from its message store: messages waiting or being handled
/// (retries included) and dead letters.
/// </summary>
/// <param name="Queued">Handler messages not handled yet. The relay's lag says nothing of these: it has passed an event
/// once the event's messages are in the inbox, so when ingest outruns the handlers this is where the backlog shows.</param>
public sealed record InboxCounts(int Queued, int DeadLetters);

/// <summary>Counts Wolverine's inbox through its message store (one query over the inbox; for the admin views, not for polling).</summary>
public sealed class HandlerInbox(IMessageStore store)
{
    public async Task<InboxCounts> CountAsync()
    {
        var counts = await store.Admin.FetchCountsAsync();
        return new InboxCounts(counts.Incoming + counts.Scheduled, counts.DeadLetter);
    }
}
