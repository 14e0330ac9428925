using System.Text.Json.Nodes;
using Narrative.Cli;
using Narrative.Testing;
using Spectre.Console;

namespace Narrative.Api.Tests;

/// <summary>`narrative analysts …`, `assessment --analyst` and `disagreement`, run in-process against a real database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AnalystCliTests(PostgresFixture pg)
{
    private const string Topic = "putin-ceasefire-stance";

    private static async Task<(int Exit, string Output)> Run(params string[] args)
    {
        var writer = new StringWriter();
        var previous = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        AnsiConsole.Console.Profile.Width = 200;
        try
        {
            return (await CliApp.Build().Parse(args).InvokeAsync(), writer.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
    }

    [Fact]
    public async Task an_admin_adds_rotates_revokes_and_lists_analysts_and_queries_take_an_analyst_or_the_consensus()
    {
        var cs = await pg.CreateDatabaseAsync("cli-analysts");
        Assert.Equal(0, (await Run("ingest", ApiServer.SeedsFolder(), "--db", cs)).Exit);

        var (exit, output) = await Run("analysts", "add", "alice", "--name", "Alice", "--db", cs, "--json");
        Assert.Equal(0, exit);
        var key = JsonNode.Parse(output)!["key"]!.GetValue<string>();
        Assert.StartsWith("nk_", key);
        Assert.Equal(3, (await Run("analysts", "add", "alice", "--name", "Alice again", "--db", cs)).Exit); // conflict

        var rotated = JsonNode.Parse((await Run("analysts", "rotate", "alice", "--db", cs, "--json")).Output)!["key"]!.GetValue<string>();
        Assert.NotEqual(key, rotated);
        Assert.Equal(0, (await Run("analysts", "revoke", "alice", "--reason", "left the team", "--db", cs)).Exit);
        Assert.Equal(1, (await Run("analysts", "revoke", "nobody", "--db", cs)).Exit);
        var listed = JsonNode.Parse((await Run("analysts", "list", "--db", cs, "--json")).Output)!.AsArray();
        var alice = Assert.Single(listed);
        Assert.True(alice!["revoked"]!.GetValue<bool>());
        Assert.DoesNotContain(rotated, (await Run("analysts", "list", "--db", cs)).Output);

        var mine = JsonNode.Parse((await Run("assessment", Topic, "--analyst", "alice", "--as-of", "2024-05-31", "--db", cs, "--json")).Output)!;
        Assert.Equal("analyst", mine["view"]!.GetValue<string>());
        Assert.All(mine["evidence"]!.AsArray(), e => Assert.Equal("document", e!["ratingsBy"]!.GetValue<string>()));
        var consensus = JsonNode.Parse((await Run("assessment", Topic, "--view", "consensus", "--as-of", "2024-05-31", "--db", cs, "--json")).Output)!;
        Assert.Equal("consensus", consensus["view"]!.GetValue<string>());
        Assert.Equal(2, (await Run("assessment", Topic, "--analyst", "alice", "--view", "consensus", "--db", cs)).Exit); // invalid input

        var d = JsonNode.Parse((await Run("disagreement", Topic, "--as-of", "2024-05-31", "--db", cs, "--json")).Output)!;
        Assert.Empty(d["analysts"]!.AsArray());
        Assert.Equal(mine["leading"]?.GetValue<string>(), d["consensusLeading"]?.GetValue<string>());
    }
}
