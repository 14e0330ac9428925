namespace Narrative.Domain.Corpus;

/// <summary>
/// Length limits of the corpus format (README "Input rules"). They are far above what the curated corpus needs (its
/// longest summary is about 300 characters, its largest document 16 items) and low enough that a pasted article or
/// a runaway generator is refused by name instead of filling the permanent log.
/// </summary>
public static class Limits
{
    /// <summary>seeds/README.md: quotes are short attributions, at most 25 words, never the page itself.</summary>
    public const int QuoteWords = 25;

    /// <summary>A quote of 25 words is well under this; it stops one 25-"word" quote made of very long tokens.</summary>
    public const int QuoteCharacters = 400;

    public const int SummaryCharacters = 1_000;
    public const int NoteCharacters = 2_000;
    public const int TitleCharacters = 300;
    public const int AttributedToCharacters = 300;
    public const int UrlCharacters = 2_048;
    public const int AuthorCharacters = 200;
    public const int AuthorsPerDocument = 50;
    public const int CitesPerDocument = 100;
    public const int ItemsPerDocument = 200;
    public const int RebutsPerItem = 50;

    /// <summary>Names, labels, titles and kinds of topics, hypotheses, sources and context periods.</summary>
    public const int LabelCharacters = 300;

    /// <summary>Hypothesis descriptions, source rationales and correction reasons.</summary>
    public const int DescriptionCharacters = 2_000;

    public const int CorrectionItems = 200;
}
