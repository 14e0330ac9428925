using Spectre.Console;

namespace Narrative.Cli;

/// <summary>The console the CLI writes tables to: a terminal's own, or plain text without colour or wrapping when piped.</summary>
public static class CliConsole
{
    /// <summary>Wide enough that no table row or id is ever broken over lines in a file or a pipe.</summary>
    public const int PipedWidth = 4096;

    public static IAnsiConsole Create(bool redirected)
    {
        if (!redirected) return AnsiConsole.Create(new AnsiConsoleSettings());
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        console.Profile.Width = PipedWidth;
        return console;
    }
}
