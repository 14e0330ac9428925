using Narrative.Api.Hosting;
using Narrative.Storage.Postgres;
using Serilog;

var app = await NarrativeApi.BuildAsync(args, CancellationToken.None);
var database = app.Services.GetRequiredService<DatabaseHost>();
try
{
    // Runs until Ctrl-C or SIGTERM, then stops and disposes the application.
    await app.RunAsync();
}
finally
{
    // Only now: stopped first, the server would cut the connections Marten and Wolverine are still closing.
    await database.DisposeAsync();
    await Log.CloseAndFlushAsync();
}

public partial class Program;
