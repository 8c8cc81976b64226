using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Scenarios;

namespace Netmap.TestPeer;

/// <summary>
/// What a hostile client does with what netmapd gave it, through the public API and /proc only (a C client could do
/// the same): resize the region memfd, forge its extra-buffer list, fill its slots with other owners' buffer indices
/// or garbage, then close (or die). Each command prints what the system answered and exits 0 unless the open failed.
/// </summary>
internal static class HostileClient
{
    public const string UsageText = """
          truncate-region PORT                  open PORT, find the region memfd in /proc/self/fd, try to shrink it to 0 and to
                                                grow it; prints TRUNCATE REFUSED|DONE and GROW REFUSED|DONE, then READY, sleeps
          forge-extra PORT MODE N              open PORT with N extra buffers, rewrite ni_bufs_head per MODE (steal: a list of
                                                every buffer index of the region; zero; self: a self loop; range: an index past
                                                the pool), print FORGED, exit (the close is the attack)
          garbage-slots PORT MODE              open PORT and write MODE (steal: every index of the region in turn; range: past
                                                the pool; zero: 0) into every slot of every ring, print GARBAGE, exit
          exhaust PATTERN COUNT [EXTRA]        open PATTERN with '#' replaced by 0, 1, ... (EXTRA extra buffers each) until
                                                COUNT are open or one is refused; print OPENED n extra e, ERROR errno message
                                                if refused, READY, then sleep holding them all
        """;

    /// <summary>Tries to resize the region memfd this process received: the engine seals it, so both must fail.</summary>
    public static int TruncateRegion(NetmapHost host, string spec)
    {
        using var port = NetmapPort.Open(spec, host);
        string? path = FindRegionFd(port.MemId);
        if (path is null) throw new PeerFailure($"no memfd netmap-mem{port.MemId} among /proc/self/fd");
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        long size = RandomAccess.GetLength(handle);
        Console.WriteLine($"REGION {path} {size}");
        Console.WriteLine(Attempt("TRUNCATE", () => RandomAccess.SetLength(handle, 0)));
        Console.WriteLine(Attempt("GROW", () => RandomAccess.SetLength(handle, size * 2)));
        Console.WriteLine($"SIZE {RandomAccess.GetLength(handle)}");
        Console.WriteLine(PeerProtocol.Ready);
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    private static string Attempt(string what, Action action)
    {
        try
        {
            action();
            return $"{what} DONE";
        }
        catch (IOException e)
        {
            return $"{what} REFUSED {e.Message}";
        }
        catch (UnauthorizedAccessException e)
        {
            return $"{what} REFUSED {e.Message}";
        }
    }

    /// <summary>The /proc/self/fd path of the memfd of region <paramref name="memId"/> (the engine names it netmap-memN).</summary>
    private static string? FindRegionFd(ushort memId)
    {
        string want = $"/memfd:netmap-mem{memId} ";
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try { target = new FileInfo(fd).LinkTarget; }
            catch (IOException) { continue; }
            if (target is not null && (target + " ").StartsWith(want, StringComparison.Ordinal)) return fd;
        }
        return null;
    }

    /// <summary>Rewrites the extra-buffer list so that a trusting engine would free what it never gave us.</summary>
    public static int ForgeExtra(NetmapHost host, string spec, string mode, uint extra)
    {
        using var port = NetmapPort.Open(spec, host, new NetmapPortOptions { ExtraBuffers = extra });
        var ring = port.TxRings[0];
        uint total = ring.BufferCount;
        switch (mode)
        {
            case "steal":
                // Every buffer of the region, in index order: the rings of every other port in it included.
                for (uint b = NetmapConstants.ReservedBuffers; b < total; b++)
                    BitConverter.TryWriteBytes(ring.Buffer(b), b + 1 < total ? b + 1 : 0u);
                port.Interface.BufsHead = NetmapConstants.ReservedBuffers;
                break;
            case "zero":
                port.Interface.BufsHead = 0;
                break;
            case "self":
            {
                uint head = port.Interface.BufsHead;
                if (head == 0) throw new PeerFailure("no extra buffer was granted");
                BitConverter.TryWriteBytes(ring.Buffer(head), head);
                break;
            }
            case "range":
                port.Interface.BufsHead = total + 1000;
                break;
            default:
                throw new PeerFailure($"unknown forge mode {mode}");
        }
        Console.WriteLine($"FORGED {mode} extra {port.ExtraBuffers} total {total}");
        return 0;
    }

    /// <summary>Opens numbered ports until one is refused, and holds them.</summary>
    public static int Exhaust(NetmapHost host, string pattern, int count, uint extra)
    {
        var held = new List<NetmapPort>();
        long extras = 0;
        string? error = null;
        for (int i = 0; i < count; i++)
        {
            try
            {
                var p = NetmapPort.Open(pattern.Replace("#", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), host,
                    new NetmapPortOptions { ExtraBuffers = extra });
                held.Add(p);
                extras += p.ExtraBuffers;
            }
            catch (NetmapException e)
            {
                error = $"{PeerProtocol.Error} {e.Errno} {e.Message}";
                break;
            }
        }
        Console.WriteLine($"OPENED {held.Count} extra {extras}");
        if (error is not null) Console.WriteLine(error);
        Console.WriteLine(PeerProtocol.Ready);
        Thread.Sleep(Timeout.Infinite);
        GC.KeepAlive(held);
        return 0;
    }

    /// <summary>Fills every slot of every bound ring with buffer indices that are not ours.</summary>
    public static int GarbageSlots(NetmapHost host, string spec, string mode)
    {
        using var port = NetmapPort.Open(spec, host);
        uint next = NetmapConstants.ReservedBuffers;
        foreach (var ring in port.TxRings.Concat(port.RxRings))
        {
            uint total = ring.BufferCount;
            for (uint i = 0; i < ring.NumSlots; i++)
            {
                ref var slot = ref ring.Slot(i);
                slot.BufferIndex = mode switch
                {
                    "steal" => next,
                    "range" => total + i,
                    "zero" => 0,
                    _ => throw new PeerFailure($"unknown garbage mode {mode}"),
                };
                slot.Flags |= SlotFlags.BufferChanged;
                if (++next >= total) next = NetmapConstants.ReservedBuffers;
            }
        }
        Console.WriteLine($"GARBAGE {mode}");
        return 0;
    }
}
