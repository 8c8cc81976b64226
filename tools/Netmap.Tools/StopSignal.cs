using System.Diagnostics;
using System.Runtime.InteropServices;
using Netmap.Tools.Interop;

namespace Netmap.Tools;

/// <summary>
/// netmap's cancel flag (pkt-gen's <c>targ-&gt;cancel</c>, bridge's <c>do_abort</c>): set by SIGINT/SIGTERM (see
/// <see cref="ForProcess"/>) or by a test, polled by the tools' loops, which then finish their batch and print
/// their summary.
/// </summary>
/// <remarks>
/// As with netmap's handlers, every signal only sets the flag again: a second SIGINT (<c>timeout -s INT</c> signals
/// the child and then its whole process group) or any number of them never kills the tool before its summary.
/// Thread-safe; <see cref="Set"/> may be called from any thread, at any time.
/// </remarks>
public sealed class StopSignal
{
    /// <summary>The longest a <see cref="Poll"/> sleeps before it looks at the flag again: a signal ends a tool
    /// waiting for traffic within this time, whatever timeout the tool's loop asked for.</summary>
    public const int PollSliceMs = 50;

    private volatile bool _stop;
    private readonly ManualResetEventSlim _event = new(false);

    // Registrations live as long as the process: disposing them would give a signal that arrives while the tool
    // prints its summary or exits back its default action (death by SIGINT, status 130).
    private static readonly List<PosixSignalRegistration> Registrations = [];

    /// <summary>True once <see cref="Set"/> was called (or a signal arrived).</summary>
    public bool IsSet => _stop;

    /// <summary>Asks every loop to end.</summary>
    public void Set()
    {
        _stop = true;
        _event.Set();
    }

    /// <summary>Sleeps up to <paramref name="milliseconds"/>; returns early (true) when stopped.</summary>
    public bool Sleep(int milliseconds) => milliseconds <= 0 ? _stop : _event.Wait(milliseconds) || _stop;

    /// <summary>
    /// <see cref="NetmapPort.Poll"/> that a stop interrupts: polls <paramref name="port"/> in slices of at most
    /// <see cref="PollSliceMs"/> until something is ready, <paramref name="timeoutMs"/> has passed (-1 = forever), or
    /// the flag is set. Returns what the last slice returned (None on timeout or stop). Allocates nothing.
    /// A pipe end whose peer is gone (<see cref="PollEvents.HangUp"/> with nothing else ready) waits for a new peer
    /// within the same budget instead of returning at once, as netmap's tools block on such a pipe: the tool's
    /// timeout path runs, and <see cref="NetmapPort.PeerFailure"/> says why.
    /// </summary>
    public PollEvents Poll(NetmapPort port, PollEvents events, int timeoutMs)
    {
        ArgumentNullException.ThrowIfNull(port);
        if (timeoutMs == 0) return port.Poll(events, 0);
        long deadline = timeoutMs < 0 ? long.MaxValue : Stopwatch.GetTimestamp() + timeoutMs * Stopwatch.Frequency / 1000;
        while (true)
        {
            int slice = PollSliceMs;
            if (deadline != long.MaxValue)
            {
                long left = (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (left <= 0) return PollEvents.None;
                if (left < slice) slice = (int)left;
            }
            var ready = port.Poll(events, slice);
            if (ready == PollEvents.HangUp)
            {
                if (!_stop) port.WaitForPeer(slice);
                if (_stop) return PollEvents.None;
                continue; // a peer came (or a slice passed): poll again, within the deadline
            }
            if (ready != PollEvents.None || _stop) return ready;
        }
    }

    /// <summary>
    /// The stop flag of a tool process: SIGINT and SIGTERM set it, however many arrive, and are otherwise ignored
    /// (the tool ends through its loops, prints its summary and exits 0). Call it first thing in Main, before
    /// anything touches <see cref="Console"/>: a signal the process inherited as ignored (SIG_IGN: background jobs
    /// of a non-interactive shell, for SIGINT) is given back its default disposition first, as netmap's
    /// <c>signal()</c> calls do, because the .NET runtime never delivers an ignored signal to a
    /// <see cref="PosixSignalRegistration"/>. <paramref name="onSignal"/> runs on each signal before the flag is set
    /// (pkt-gen and bridge print netmap's "received control-C" line there). Call it once per process.
    /// </summary>
    public static StopSignal ForProcess(Action<PosixSignal>? onSignal = null)
    {
        ResetIgnoredSignals();
        var stop = new StopSignal();
        void Handler(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            onSignal?.Invoke(ctx.Signal);
            stop.Set();
        }
        lock (Registrations)
        {
            Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler));
            Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler));
        }
        return stop;
    }

    /// <summary>SIGINT and SIGTERM: SIG_DFL if the process inherited SIG_IGN (for processes that keep the runtime's
    /// own handling, such as netmapd's Generic Host). Must run before the runtime installs its handlers, i.e. before
    /// the first use of <see cref="Console"/> or <see cref="PosixSignalRegistration"/>.</summary>
    public static void ResetIgnoredSignals()
    {
        SignalDisposition.ResetIfIgnored(SignalNumbers.SIGINT);
        SignalDisposition.ResetIfIgnored(SignalNumbers.SIGTERM);
    }

    /// <summary>True when <paramref name="signal"/> (a Linux signal number) is currently ignored by this process.</summary>
    public static bool IsIgnored(int signal) => SignalDisposition.IsIgnored(signal);
}
