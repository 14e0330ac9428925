using System.Globalization;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Narrative.Web.Tests;

/// <summary>
/// Headless Debian Chromium driven by its own chromedriver, with a throwaway profile.
/// Paths are explicit so that Selenium Manager never tries to download a browser or a driver.
/// </summary>
public sealed class Browser : IDisposable
{
    private const string ChromiumBinary = "/usr/bin/chromium";
    private const string DriverFolder = "/usr/bin";
    private const string DriverFile = "chromedriver";

    private readonly string _profile;

    private Browser(ChromeDriver driver, string profile)
    {
        Driver = driver;
        _profile = profile;
    }

    public ChromeDriver Driver { get; }

    public static Browser Start()
    {
        if (!File.Exists(ChromiumBinary) || !File.Exists(Path.Combine(DriverFolder, DriverFile)))
            throw new InvalidOperationException(
                "Headless Chromium is missing: apt-get install -y chromium chromium-driver (or run ./ops/test, which installs it).");
        var profile = Directory.CreateTempSubdirectory("narrative-chromium-").FullName;
        var options = new ChromeOptions { BinaryLocation = ChromiumBinary };
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1400,1000", $"--user-data-dir={profile}");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        var service = ChromeDriverService.CreateDefaultService(DriverFolder, DriverFile);
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(90)); // generous: a loaded 2-core CI machine starts Chromium slowly
        driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(20);
        return new Browser(driver, profile);
    }

    /// <summary>Polls until the condition holds; fails with what was last seen rather than hanging.</summary>
    /// The default is generous for a loaded 2-core machine; a condition that holds returns at once.
    public T WaitFor<T>(Func<IWebDriver, T?> condition, string what, double seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (condition(Driver) is { } value && value is not false) return value;
            }
            catch (Exception e) when (e is NoSuchElementException or StaleElementReferenceException)
            {
                last = e;
            }
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Timed out after {seconds}s waiting for {what}.", last);
            Thread.Sleep(50);
        }
    }

    public IWebElement Find(string css) => Driver.FindElement(By.CssSelector(css));

    /// <summary>The page's console messages so far, for the test output when something looks off.</summary>
    public IEnumerable<string> ConsoleLog()
    {
        try
        {
            return [.. Driver.Manage().Logs.GetLog(LogType.Browser).Select(e => $"{e.Level} {e.Message}")];
        }
        catch (WebDriverException e)
        {
            return [$"(console log unavailable: {e.Message})"];
        }
    }

    public object? Script(string js, params object[] args) => Driver.ExecuteScript(js, args);

    /// <summary>Sets the page's viewport (CSS pixels, scale 1), as a window of that size would show it.</summary>
    public void Viewport(int width, int height) =>
        Driver.ExecuteCdpCommand("Emulation.setDeviceMetricsOverride", new Dictionary<string, object?>
        {
            ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false,
        });

    public void DefaultViewport() => Driver.ExecuteCdpCommand("Emulation.clearDeviceMetricsOverride", []);

    /// <summary>Downloads go into <paramref name="folder"/> without asking.</summary>
    public void DownloadTo(string folder) =>
        Driver.ExecuteCdpCommand("Browser.setDownloadBehavior", new Dictionary<string, object?>
        {
            ["behavior"] = "allow", ["downloadPath"] = folder, ["eventsEnabled"] = false,
        });

    /// <summary>Runs <paramref name="js"/> in every page loaded from now on, before the page's own scripts; returns an id for <see cref="RemoveInitScript"/>.</summary>
    public string AddInitScript(string js)
    {
        var r = Driver.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["source"] = js });
        return r is Dictionary<string, object> d && d.TryGetValue("identifier", out var id) ? (string)id
            : throw new InvalidOperationException("Chromium gave no script identifier.");
    }

    public void RemoveInitScript(string id) =>
        Driver.ExecuteCdpCommand("Page.removeScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["identifier"] = id });

    /// <summary>
    /// The screenshots folder, created if missing: NARRATIVE_DATA/screenshots, else the repository's git-ignored
    /// .narrative/screenshots.
    /// </summary>
    public static string ScreenshotFolder()
    {
        var data = Environment.GetEnvironmentVariable("NARRATIVE_DATA");
        var folder = string.IsNullOrWhiteSpace(data)
            ? Path.Combine(WebSession.RepositoryRoot(), ".narrative", "screenshots")
            : Path.Combine(Path.GetFullPath(data), "screenshots");
        return Directory.CreateDirectory(folder).FullName;
    }

    /// <summary>Saves a PNG (the full page, beyond the viewport, unless <paramref name="viewportOnly"/>) and returns its path.</summary>
    public string Screenshot(string name, bool viewportOnly = false)
    {
        var folder = ScreenshotFolder();
        var path = Path.Combine(folder, name + ".png");
        // A sticky header would otherwise be painted wherever the page happens to be scrolled.
        Script("window.scrollTo(0, 0);");
        var width = Convert.ToInt64(Script("return document.documentElement.scrollWidth;"), CultureInfo.InvariantCulture);
        var height = Convert.ToInt64(Script(viewportOnly ? "return window.innerHeight;" : "return document.documentElement.scrollHeight;"), CultureInfo.InvariantCulture);
        var shot = Driver.ExecuteCdpCommand("Page.captureScreenshot", new Dictionary<string, object?>
        {
            ["format"] = "png",
            ["captureBeyondViewport"] = !viewportOnly,
            ["clip"] = new Dictionary<string, object> { ["x"] = 0, ["y"] = 0, ["width"] = width, ["height"] = height, ["scale"] = 1 },
        });
        var base64 = shot is Dictionary<string, object> d && d.TryGetValue("data", out var b) ? (string)b : Driver.GetScreenshot().AsBase64EncodedString;
        File.WriteAllBytes(path, Convert.FromBase64String(base64));
        return path;
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still hold a lock file for a moment; the temp folder is disposable anyway.
        }
    }
}
