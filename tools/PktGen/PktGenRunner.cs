
namespace Netmap.Tools.PktGen;

/// <summary>
/// pkt-gen's main(): opens the port, prints the startup lines, waits -w seconds, runs the function on the calling
/// thread (pinned with -a) while <see cref="RateReporter"/> prints a line every -T ms, then prints the summary.
/// </summary>
public static class PktGenRunner
{
    /// <summary>Runs pkt-gen with <paramref name="options"/> against <paramref name="host"/>; returns the exit code.</summary>
    public static int Run(PktGenOptions options, NetmapHost host, TextWriter stdout, TextWriter stderr, StopSignal stop)
    {
        var log = new DebugLog(stderr);
        NetmapPort port;
        try
        {
            port = NetmapPort.Open(options.Interface, host);
            if (options.VirtioHeader != 0)
            {
                try { NetmapControl.PortHeaderSet(port.Spec.Name, (uint)options.VirtioHeader, host); }
                catch { port.Dispose(); throw; }
            }
        }
        catch (NetmapException e)
        {
            stderr.WriteLine(e.Message); // names the port, the operation and the errno
            stderr.Flush();
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            stderr.WriteLine($"{options.Interface}: {e.Message}");
            stderr.Flush();
            return 1;
        }

        using (port)
        {
            var fn = options.Function;
            int queues = fn == PktGenFunction.Tx ? port.TxRings.Count : port.RxRings.Count;
            string verb = fn switch
            {
                PktGenFunction.Tx => "Sending on",
                PktGenFunction.Rx => "Receiving from",
                _ => "Working on",
            };
            stdout.WriteLine($"{verb} {options.Interface}: {queues} queues, {options.Threads} threads and {options.Cpus} cpus.");
            if (fn == PktGenFunction.Tx)
                stdout.WriteLine($"{options.Source.Name} -> {options.Destination.Name} ({options.SourceMacName} -> {options.DestinationMacName})");
            stdout.Flush();

            byte[] frame = FrameBuilder.Build(options);
            if (options.VirtioHeader != 0) frame = [.. new byte[options.VirtioHeader], .. frame]; // a zeroed header: no offloads

            log.D("start_threads", PktGenLines.StartThreadsWait, $"Wait {options.WaitLinkSeconds} secs for phy reset");
            stop.Sleep(options.WaitLinkSeconds * 1000);
            log.D("start_threads", PktGenLines.StartThreadsReady, "Ready...");

            if (options.Affinity >= 0 && !CpuAffinity.PinCurrentThread(options.Affinity))
                log.D("setaffinity", PktGenLines.Affinity, $"Unable to set affinity to cpu {options.Affinity}");

            var counters = new Counters();
            var reporter = new RateReporter(counters, options, log);
            bool ok;
            reporter.Start();
            try
            {
                ok = fn switch
                {
                    PktGenFunction.Tx => new Transmitter(port, options, frame, counters, stop, log).Run(),
                    PktGenFunction.Rx => new Receiver(port, options, counters, stop, log).Run(),
                    PktGenFunction.Ping => new PingPong(port, options, counters, stop, log).RunPing(frame),
                    _ => new PingPong(port, options, counters, stop, log).RunPong(),
                };
            }
            finally
            {
                reporter.Stop();
            }
            if (!ok) log.D("main_thread", PktGenLines.Ouch, "ouch, thread 0 exited with error");
            if (counters.BadSlots != 0)
                log.D("main_thread", PktGenLines.BadSlots, $"{counters.BadSlots} slots with an invalid buffer index skipped");

            string msg = fn == PktGenFunction.Rx ? "Received" : "Sent";
            foreach (var line in RateReporter.FormatSummary(msg, counters.Packets, counters.Bytes, counters.Events, counters.Seconds, options.Normalize))
                stdout.WriteLine(line);
            stdout.Flush();
            return ok ? 0 : 1;
        }
    }
}
