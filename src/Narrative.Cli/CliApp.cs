using System.CommandLine;
using Narrative.Cli.Commands;

namespace Narrative.Cli;

/// <summary>`narrative`: the same services as the API, from a terminal. Tables by default, --json for scripts.</summary>
public static class CliApp
{
    public static readonly Option<string?> Db = new("--db") { Description = "PostgreSQL connection string (default: NARRATIVE_DB, else the embedded server in NARRATIVE_DATA)" };
    public static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of tables" };

    public static RootCommand Build()
    {
        var root = new RootCommand("Narrative: an event-sourced backend for narrative analysis");
        root.Options.Add(Db);
        root.Options.Add(Json);
        foreach (var o in root.Options) o.Recursive = true;
        CorpusCommands.Add(root);
        CaptureCommands.Add(root);
        QueryCommands.Add(root);
        QueryCommands.AddTiming(root);
        AdminCommands.Add(root);
        AnalystCommands.Add(root);
        return root;
    }
}
