using System.Runtime.ExceptionServices;
using Netmap.Interop;

namespace Netmap.Tests.Nic;

/// <summary>Runs code on a thread that entered a named network namespace (sockets it creates live there for good).</summary>
internal static class NamespaceThread
{
    public static T Run<T>(string ns, Func<T> action, int timeoutMs = 60_000)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var t = new Thread(() =>
        {
            try
            {
                NetNamespace.Enter($"/run/netns/{ns}", ns);
                result = action();
            }
            catch (Exception e) { failure = ExceptionDispatchInfo.Capture(e); }
        }) { IsBackground = true, Name = "in " + ns };
        t.Start();
        if (!t.Join(timeoutMs)) throw new TimeoutException($"code in namespace {ns} did not finish in {timeoutMs} ms");
        failure?.Throw();
        return result;
    }

    public static Task<T> Start<T>(string ns, Func<T> action, int timeoutMs = 60_000)
        => Task.Factory.StartNew(() => Run(ns, action, timeoutMs), TaskCreationOptions.LongRunning);
}
