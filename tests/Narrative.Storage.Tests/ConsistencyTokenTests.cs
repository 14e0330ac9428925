using Narrative.Storage.Replication;

namespace Narrative.Storage.Tests;

public sealed class ConsistencyTokenTests
{
    [Theory]
    [InlineData("0/3000148:812", "0/3000148", 812)]
    [InlineData("16/B374D848", "16/B374D848", 0)]
    public void a_token_reads_back_as_its_lsn_and_position(string text, string lsn, long position)
    {
        Assert.True(ConsistencyToken.TryParse(text, out var token));
        Assert.Equal(lsn, token.Lsn.ToString());
        Assert.Equal(position, token.Position);
        Assert.Equal(text, token.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("812")]
    [InlineData("0/3000148:-1")]
    [InlineData("0/3000148:1:2")]
    [InlineData("x/y:1")]
    [InlineData("'; drop table x; --")]
    public void anything_else_is_not_a_token(string text) => Assert.False(ConsistencyToken.TryParse(text, out _));
}
