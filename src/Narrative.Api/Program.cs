using Narrative.Api.Hosting;

var app = await NarrativeApi.BuildAsync(args, CancellationToken.None);
await app.RunAsync();

public partial class Program;
