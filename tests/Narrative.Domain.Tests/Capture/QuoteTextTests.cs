using Narrative.Domain.Capture;

namespace Narrative.Domain.Tests.Capture;

public sealed class QuoteTextTests
{
    private const string Text = "“We will not give up the river —  but we are\nready to talk about the bridges,” said Zoë’s source.";

    [Fact]
    public void a_quote_with_straight_marks_plain_dashes_and_other_spacing_is_found_verbatim()
    {
        Assert.True(QuoteText.Appears(Text, "We will not give up the river - but we are ready to talk about the bridges"));
        Assert.True(QuoteText.Appears(Text, "\"We will not give up the river – but we are ready\""));
        Assert.True(QuoteText.Appears(Text, "said Zoë's source"));
    }

    [Fact]
    public void an_elision_matches_any_gap_but_only_in_order()
    {
        Assert.True(QuoteText.Appears(Text, "We will not give up the river ... the bridges"));
        Assert.True(QuoteText.Appears(Text, "We will not…bridges"));
        Assert.False(QuoteText.Appears(Text, "the bridges ... We will not give up"));
    }

    [Fact]
    public void a_changed_word_or_case_is_not_verbatim()
    {
        Assert.False(QuoteText.Appears(Text, "We will never give up the river"));
        Assert.False(QuoteText.Appears(Text, "we will not give up the river"));
        Assert.False(QuoteText.Appears(Text, "..."));
    }

    [Fact]
    public void find_points_at_the_passage_in_the_original_text()
    {
        var at = QuoteText.Find(Text, "ready to talk about the bridges")!.Value;
        Assert.Equal("ready to talk about the bridges", Text[at.Start..at.End]);
    }
}
