using Spectre.Console;

namespace Narrative.Cli;

/// <summary>
/// The consoles the CLI writes to: standard output (<see cref="AnsiConsole.Console"/>: answers, tables, JSON) and
/// standard error (<see cref="Error"/>: problems, warnings, progress). Each is a terminal's own, with colour and live
/// progress bars, or plain text without colour or wrapping when redirected.
/// </summary>
public static class CliConsole
{
    /// <summary>Wide enough that no table row or id is ever broken over lines in a file or a pipe.</summary>
    public const int PipedWidth = 4096;

    private static IAnsiConsole? _error;

    /// <summary>Standard error; Program sets it at start, tests may replace it.</summary>
    public static IAnsiConsole Error
    {
        get => _error ??= Create(Console.Error, Console.IsErrorRedirected);
        set => _error = value;
    }

    public static IAnsiConsole Create(bool redirected) => Create(Console.Out, redirected);

    public static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        if (!redirected)
            return AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Interactive = InteractionSupport.Yes });
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = PipedWidth;
        return console;
    }

    /// <summary>Whether <paramref name="console"/> is a terminal, where live progress bars can redraw.</summary>
    public static bool IsTerminal(IAnsiConsole console) => console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi;
}
