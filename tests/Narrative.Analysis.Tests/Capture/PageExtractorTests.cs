using Narrative.Analysis.Capture;
using Narrative.Testing;

namespace Narrative.Analysis.Tests.Capture;

/// <summary>The extractor on small invented pages: what is kept, what is dropped, and the facts it reads.</summary>
public sealed class PageExtractorTests
{
    private static readonly IReadOnlyList<(string Id, string Name)> Sources =
        [("nyt", "The New York Times"), ("bloomberg", "Bloomberg News"), ("reuters", "Reuters"), ("isw", "Institute for the Study of War")];

    private static Narrative.Domain.PageExtracted Html() => PageExtractor.Extract("c1", TestPages.Html, html: true, TestPages.ArticleUrl);

    private static Narrative.Domain.PageExtracted Text() => PageExtractor.Extract("c2", TestPages.Text, html: false, TestPages.ArticleUrl);

    [Fact]
    public void html_article_is_kept_and_navigation_cookies_newsletter_donation_footer_and_the_unrelated_essay_are_dropped()
    {
        var x = Html();
        Assert.Contains(TestPages.KeptSentence, x.MainText);
        Assert.Contains("Analysts in Warsaw and Vilnius", x.MainText);
        foreach (var gone in new[] { "cookies", "Morning Briefing", "Donate today", TestPages.EssayMarker, "All rights reserved", "Opinion" })
            Assert.DoesNotContain(gone, x.MainText);
        Assert.Contains(x.Removed, r => r.Text.StartsWith(TestPages.EssayMarker, StringComparison.Ordinal));
        Assert.True(x.RemovedChars > 500, $"removed {x.RemovedChars}");
    }

    [Fact]
    public void plain_text_drops_sign_ups_and_appeals_and_cuts_the_essay_after_the_share_bar()
    {
        var x = Text();
        Assert.Contains("through a businessman with ties to the Gulf", x.MainText);
        Assert.Contains("genuine if narrow opening", x.MainText);
        foreach (var gone in new[] { "Subscribe", "donation", "Share the Post", TestPages.EssayMarker, "March 7, 2024" })
            Assert.DoesNotContain(gone, x.MainText);
    }

    [Fact]
    public void title_byline_and_date_come_from_meta_tags_with_high_confidence()
    {
        var x = Html();
        Assert.Equal("Kremlin Floats River Talks, Officials Say", x.Title);
        Assert.Equal(["Zoë Łukaszewicz", "Jürgen Ødegård"], x.Byline);
        Assert.Equal(new DateOnly(2024, 3, 5), x.PublishedAt);
        Assert.Equal("high", x.PublishedAtConfidence);
    }

    [Fact]
    public void plain_text_gives_title_byline_and_date_from_its_own_lines()
    {
        var x = Text();
        Assert.Equal("Bridges and Rivers: What the Feelers Mean", x.Title);
        Assert.Equal(["Anna Müller", "José Núñez"], x.Byline);
        Assert.Equal(new DateOnly(2024, 3, 7), x.PublishedAt);
        Assert.Equal("high", x.PublishedAtConfidence);
    }

    [Fact]
    public void an_undated_page_says_none_instead_of_guessing_and_a_numeric_date_in_a_title_is_low()
    {
        var undated = PageExtractor.Extract("c3", TestPages.Undated, html: false, TestPages.ArticleUrl);
        Assert.Null(undated.PublishedAt);
        Assert.Equal("none", undated.PublishedAtConfidence);

        var numeric = PageExtractor.Extract("c4", "River Talks - Example News - 05.03.24\n\n" + TestPages.Undated, html: false, TestPages.ArticleUrl);
        Assert.Equal(new DateOnly(2024, 3, 5), numeric.PublishedAt);
        Assert.Equal("low", numeric.PublishedAtConfidence);
        Assert.Equal("River Talks", numeric.Title);
    }

    [Fact]
    public void cited_outlets_are_found_by_citing_phrases_and_mapped_to_registered_sources()
    {
        var x = Html();
        Assert.Equal(["Bloomberg", "The New York Times", "Reuters"], x.CitedOutlets);
        Assert.Equal("bloomberg", CitedOutlets.SourceFor("Bloomberg", Sources));
        Assert.Equal("nyt", CitedOutlets.SourceFor("The New York Times", Sources));

        var t = Text();
        Assert.Equal(["Reuters", "Financial Times"], t.CitedOutlets);
        Assert.Null(CitedOutlets.SourceFor("Financial Times", Sources));
        // Named without a citing verb: not a citation.
        Assert.Empty(CitedOutlets.Find("She used to work at Bloomberg before joining the ministry."));
    }

    [Fact]
    public void quotes_carry_the_speaker_the_text_gives_including_a_pronoun_resolved_to_the_last_titled_name()
    {
        var x = Html();
        Assert.Contains(x.Quotes, q => q.Text.StartsWith("We will not give up the river", StringComparison.Ordinal) && q.Speaker == "Zoë Łukaszewicz’s source");
        Assert.Contains(x.Quotes, q => q.Text.StartsWith("There are no talks", StringComparison.Ordinal) && q.Speaker == "Mr. Kovalenko");
        var t = Text();
        Assert.Contains(t.Quotes, q => q.Text == "Nobody has sent anybody anywhere with any message" && q.Speaker == "Mr. Kovalenko");
    }
}
