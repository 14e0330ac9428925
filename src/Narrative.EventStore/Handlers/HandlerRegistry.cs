using System.Collections.Frozen;
using System.Reflection;
using Narrative.EventStore.Subscriptions;

namespace Narrative.EventStore.Handlers;

/// <summary>
/// The handlers of a process. A handler is a plain class whose public <c>Handle(TEvent, HandlerContext)</c> methods
/// (returning void or <see cref="Task"/>, optionally taking a trailing <see cref="CancellationToken"/>) are found by
/// reflection once, here, and bound to typed delegates.
/// </summary>
public sealed class HandlerRegistry
{
    private readonly List<HandlerRegistration> _handlers = [];

    public IReadOnlyList<HandlerRegistration> Handlers => _handlers;

    public HandlerRegistration? Find(string name) => _handlers.Find(h => h.Name == name);

    /// <summary>Registers a handler created fresh for every event.</summary>
    public HandlerRegistry Add<THandler>(string name, int maxAttempts = 3) where THandler : class, new() =>
        Add(name, static () => new THandler(), maxAttempts);

    /// <summary>Registers a handler made by <paramref name="create"/> for every event (return a shared instance to reuse one).</summary>
    public HandlerRegistry Add<THandler>(string name, Func<THandler> create, int maxAttempts = 3) where THandler : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        if (Find(name) is not null) throw new ArgumentException($"A handler named '{name}' is already registered", nameof(name));

        var methods = new Dictionary<Type, HandlerMethod>();
        foreach (var m in typeof(THandler).GetMethods(BindingFlags.Public | BindingFlags.Instance))
        {
            if (m.Name != "Handle" || m.IsGenericMethodDefinition) continue;
            var ps = m.GetParameters();
            var shapeOk = ps.Length is 2 or 3 && ps[1].ParameterType == typeof(HandlerContext)
                && (ps.Length == 2 || ps[2].ParameterType == typeof(CancellationToken))
                && (m.ReturnType == typeof(void) || m.ReturnType == typeof(Task));
            if (!shapeOk)
                throw new ArgumentException($"{typeof(THandler).Name}.{m.Name} must look like Handle(TEvent, HandlerContext[, CancellationToken]) returning void or Task");
            var eventType = ps[0].ParameterType;
            if (!methods.TryAdd(eventType, Bind<THandler>(m, eventType)))
                throw new ArgumentException($"{typeof(THandler).Name} has more than one Handle method for {eventType.Name}");
        }
        if (methods.Count == 0) throw new ArgumentException($"{typeof(THandler).Name} has no public Handle(TEvent, HandlerContext) method");

        _handlers.Add(new HandlerRegistration(name, maxAttempts, create, methods.ToFrozenDictionary()));
        return this;
    }

    /// <summary>One subscription per handler, to run with <see cref="SubscriptionDaemon"/> beside the projections.</summary>
    public IReadOnlyList<ISubscription> CreateSubscriptions(EventTypeRegistry types, HandlerOptions? options = null) =>
        _handlers.Select(h => (ISubscription)new HandlerSubscription(h, types, options ?? new HandlerOptions())).ToList();

    private static HandlerMethod Bind<THandler>(MethodInfo m, Type eventType) where THandler : class
    {
        var bind = typeof(HandlerRegistry).GetMethod(nameof(BindTyped), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(typeof(THandler), eventType);
        return (HandlerMethod)bind.Invoke(null, [m])!;
    }

    // Open-instance delegates: the handler instance is an argument, so one delegate serves every instance.
    private static HandlerMethod BindTyped<THandler, TEvent>(MethodInfo m) where THandler : class
    {
        var withToken = m.GetParameters().Length == 3;
        if (m.ReturnType == typeof(Task))
        {
            if (withToken)
            {
                var d = m.CreateDelegate<Func<THandler, TEvent, HandlerContext, CancellationToken, Task>>();
                return new HandlerMethod(typeof(TEvent), (h, e, c, ct) => d((THandler)h, (TEvent)e, c, ct));
            }
            var d2 = m.CreateDelegate<Func<THandler, TEvent, HandlerContext, Task>>();
            return new HandlerMethod(typeof(TEvent), (h, e, c, _) => d2((THandler)h, (TEvent)e, c));
        }
        if (withToken)
        {
            var d = m.CreateDelegate<Action<THandler, TEvent, HandlerContext, CancellationToken>>();
            return new HandlerMethod(typeof(TEvent), (h, e, c, ct) => { d((THandler)h, (TEvent)e, c, ct); return Task.CompletedTask; });
        }
        var d3 = m.CreateDelegate<Action<THandler, TEvent, HandlerContext>>();
        return new HandlerMethod(typeof(TEvent), (h, e, c, _) => { d3((THandler)h, (TEvent)e, c); return Task.CompletedTask; });
    }
}

/// <summary>A registered handler: its name (also its subscription and checkpoint name), attempts, and bound methods.</summary>
public sealed class HandlerRegistration
{
    private readonly Func<object> _create;

    internal HandlerRegistration(string name, int maxAttempts, Func<object> create, FrozenDictionary<Type, HandlerMethod> methods)
    {
        Name = name;
        MaxAttempts = maxAttempts;
        _create = create;
        Methods = methods;
    }

    public string Name { get; }
    public int MaxAttempts { get; }
    public IReadOnlyCollection<Type> EventTypes => Methods.Keys;
    internal FrozenDictionary<Type, HandlerMethod> Methods { get; }

    internal object CreateHandler() => _create();

    /// <summary>Stored type name to method, for the types this handler handles. Every handled type must be registered.</summary>
    internal FrozenDictionary<string, HandlerMethod> ByTypeName(EventTypeRegistry types) =>
        Methods.ToFrozenDictionary(m => types.NameOf(m.Key), m => m.Value, StringComparer.Ordinal);
}

internal sealed record HandlerMethod(Type EventType, Func<object, object, HandlerContext, CancellationToken, Task> Invoke);

public sealed record HandlerOptions
{
    /// <summary>Delay before the second attempt; doubles per attempt, with jitter, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Retries wait inside the batch transaction (so a failed attempt rolls back to its savepoint); keep this short.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(2);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    internal TimeSpan Backoff(int failedAttempts)
    {
        var ms = Math.Min(RetryMaxDelay.TotalMilliseconds, RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, failedAttempts - 1)));
        // Equal jitter: half fixed, half random, so owners retrying the same failure spread out.
        return TimeSpan.FromMilliseconds(ms / 2 + Random.Shared.NextDouble() * ms / 2);
    }
}
