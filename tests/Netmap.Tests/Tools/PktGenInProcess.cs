using Netmap.Tools;
using Netmap.Hosting;
using Netmap.Tools.PktGen;

namespace Netmap.Tests.Tools;

/// <summary>Runs pkt-gen's main on a thread of the test process, against any host, capturing its output.</summary>
internal static class PktGenInProcess
{
    public sealed record Outcome(int Exit, string Out, string Err);

    public static Task<Outcome> Start(NetmapHost host, StopSignal stop, params string[] args)
    {
        Assert.True(PktGenOptions.TryParse(args, out var o, out var err), err);
        return Task.Factory.StartNew(() =>
        {
            var so = new StringWriter();
            var se = new StringWriter();
            int rc = PktGenRunner.Run(o, host, TextWriter.Synchronized(so), TextWriter.Synchronized(se), stop);
            return new Outcome(rc, so.ToString(), se.ToString());
        }, TaskCreationOptions.LongRunning);
    }
}
