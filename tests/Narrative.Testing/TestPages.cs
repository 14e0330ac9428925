namespace Narrative.Testing;

/// <summary>
/// Small invented pages shaped like scraped news: chrome around an article (navigation, a cookie banner, a newsletter
/// box, a donation appeal, an unrelated essay after the end), bylines and dates in markup or in text, curly quotes and
/// non-ASCII names. Every sentence here is made up for the tests.
/// </summary>
public static class TestPages
{
    public const string ArticleUrl = "https://news.example.org/2024/03/river-talks";

    /// <summary>A sentence of the article that the tests check is kept.</summary>
    public const string KeptSentence = "Officials in three capitals described the proposal as a quiet probe rather than a formal offer.";

    /// <summary>A quote as the page prints it (curly marks, an en dash); speaker Zoë Łukaszewicz.</summary>
    public const string Quote = "We will not give up the river – but we are ready to talk about the bridges";

    public const string EssayMarker = "Migratory birds";

    public const string Html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>River talks: a quiet probe | Example News</title>
          <meta property="og:title" content="Kremlin Floats River Talks, Officials Say">
          <meta name="author" content="Zoë Łukaszewicz, Jürgen Ødegård">
          <meta property="article:published_time" content="2024-03-05T08:30:00Z">
        </head>
        <body>
          <nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/opinion">Opinion</a></li></ul></nav>
          <div class="cookie-banner"><p>We use cookies to improve your experience. Accept all cookies?</p><button>Accept</button></div>
          <header><h1>Kremlin Floats River Talks, Officials Say</h1><p class="byline">By Zoë Łukaszewicz and Jürgen Ødegård</p></header>
          <article>
            <p>Moscow has used intermediaries to suggest that it would discuss a pause along the river line, according to Bloomberg, which spoke to four people familiar with the contacts over the past month.</p>
            <p>Officials in three capitals described the proposal as a quiet probe rather than a formal offer. The New York Times reported a similar approach in December, and a senior diplomat told Reuters that nothing had been put in writing so far.</p>
            <p>“We will not give up the river — but we are ready to talk about the bridges,” said Zoë Łukaszewicz’s source, a former deputy minister who asked not to be named because the talks are private and sensitive.</p>
            <p>Dmitri Kovalenko, a spokesman, rejected the reports in a statement on Tuesday. “There are no talks and there will be no talks until our conditions are met,” Mr. Kovalenko said, adding that the reports were meant to divide Western allies ahead of a vote.</p>
            <div class="newsletter"><p>Sign up for our Morning Briefing newsletter, delivered to your inbox every weekday.</p><form><input type="email"></form></div>
            <p>Analysts in Warsaw and Vilnius said the timing, days before a budget vote in Washington, mattered as much as the substance, and that earlier feelers had come at similar moments in the debate over aid.</p>
            <div class="donate"><p>Independent journalism needs your support. Donate today to keep our reporting free for everyone.</p></div>
          </article>
          <aside class="related">
            <h2>From our essays</h2>
            <p>Migratory birds cross the delta every spring, and their routes have shifted north over three decades as the wetlands dried and the farms spread into the floodplain, ornithologists say.</p>
            <p>The wardens count them from wooden towers at dawn, a practice that began long before satellites and has outlasted several changes of government in the region.</p>
          </aside>
          <footer><p>© 2024 Example News. All rights reserved.</p><p>Privacy policy · Terms of use</p></footer>
        </body>
        </html>
        """;

    /// <summary>The same kind of article as plain text, dated by a line of its own, with an essay after a share bar.</summary>
    public const string Text = """
        Skip to main content

        Subscribe to our newsletter

        Bridges and Rivers: What the Feelers Mean

        March 7, 2024

        By Anna Müller and José Núñez

        The latest signals from Moscow were delivered through a businessman with ties to the Gulf, according to Reuters, and repeated a week later to a European envoy who passed them on to Washington in a short memo.

        Mr. Kovalenko said the signals did not exist. “Nobody has sent anybody anywhere with any message,” he said, in a call with reporters on Thursday that lasted less than ten minutes.

        Western officials were divided. One of them told the Financial Times that the approach looked designed to be discovered, while another called it a genuine if narrow opening that deserved a careful answer.

        Please support our work: make a donation today and help keep independent reporting alive.

        Share the Post:

        Migratory birds cross the delta every spring, and their routes have shifted north over three decades as the wetlands dried and the farms spread into the floodplain, ornithologists say in a new survey.

        The wardens count them from wooden towers at dawn, a practice that began long before satellites and has outlasted several changes of government in the region.
        """;

    /// <summary>A plain-text page with no date anywhere near its top.</summary>
    public const string Undated = """
        Menu

        The Week in Review: Quiet Channels

        This week brought more talk about quiet channels between Moscow and Washington, though none of the officials we spoke to could name a meeting, a date or a participant, which is itself telling about the state of affairs.

        The reports, citing anonymous sources, made waves in several capitals, and the denials came within hours, as they usually do when a story of this kind appears on a Friday afternoon.
        """;
}
