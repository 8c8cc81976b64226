namespace Netmap.Tests.Nic.Tap;

/// <summary>Code on a thread inside a named namespace, for the TAP tests (<see cref="NamespaceThread"/>).</summary>
internal static class TapNetns
{
    public static T Run<T>(string ns, Func<T> action, int timeoutMs = 10_000) => NamespaceThread.Run(ns, action, timeoutMs);
}
