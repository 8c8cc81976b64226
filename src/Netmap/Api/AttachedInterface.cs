using System.Diagnostics;
using System.Runtime.CompilerServices;
using Netmap.Engine;
using Netmap.Hosting.Embedded;
using Netmap.Interop;

namespace Netmap.Api;

/// <summary>
/// netmap's bwrap in user space: a Linux interface attached to a VALE switch (vale-ctl -a vale0:veth0). The engine
/// opens, on behalf of the requester, the interface (<c>netmap:veth0</c>) and a VALE port of the same name
/// (<c>vale0:veth0</c>), and this object forwards between them with a <see cref="PortBridge"/> on its own thread:
/// busy while frames flow, a short spin when they stop, then asleep on both ports' descriptors (the kernel queue
/// wakes it for the interface, the switch for the VALE port). VALE_POLLING_ENABLE makes it busy-poll on a pinned CPU.
/// Frames are copied between the two regions (the VALE port has its own memory, as every VALE port).
/// </summary>
internal sealed class AttachedInterface : IInterfaceBridge
{
    private static readonly TimeSpan IdleSpin = TimeSpan.FromMicroseconds(50);

    private readonly NetmapPort _interface;
    private readonly NetmapPort _valePort;
    private readonly PortBridge _bridge;
    private readonly Thread _thread;
    private volatile bool _stopping;
    /// <summary>CPU to busy-poll on, or -1 (spin then sleep). Written by the engine, read by the thread.</summary>
    private volatile int _pollCpu = -1;

    private AttachedInterface(NetmapPort nic, NetmapPort vale, string name)
    {
        _interface = nic;
        _valePort = vale;
        _bridge = new PortBridge(nic, vale);
        _thread = new Thread(Run) { IsBackground = true, Name = "attach " + name };
        _thread.Start();
    }

    /// <summary>Installs the factory the engine uses for VALE_ATTACH of a Linux interface. A module initializer because
    /// the engine (a lower layer) must not reference this type, yet every engine of the process needs it.</summary>
#pragma warning disable CA2255 // deliberate: dependency inversion between two layers of one assembly
    [ModuleInitializer]
    internal static void Install() => InterfaceBridges.Factory = Open;
#pragma warning restore CA2255

    private static IInterfaceBridge Open(NetmapEngine engine, string valeName, string ifName, NicBackendKind backend, int peerPid, uint peerUid)
    {
        var host = new InternalHost(engine, $"attach {valeName}", peerPid, peerUid);
        NetmapPort? nic = null, vale = null;
        try
        {
            string conf = backend switch
            {
                NicBackendKind.Xdp => "@conf:backend=xdp",
                NicBackendKind.Packet => "@conf:backend=afpacket",
                _ => "",
            };
            nic = NetmapPort.Open("netmap:" + ifName + conf, host);
            vale = NetmapPort.Open(valeName, host);
            return new AttachedInterface(nic, vale, valeName);
        }
        catch
        {
            vale?.Dispose();
            nic?.Dispose();
            throw;
        }
    }

    public bool Polling => _pollCpu >= 0;

    public void StartPolling(int cpu) => _pollCpu = cpu;

    public void StopPolling() => _pollCpu = -1;

    private void Run()
    {
        long spinTicks = (long)(IdleSpin.TotalSeconds * Stopwatch.Frequency);
        long idleSince = Stopwatch.GetTimestamp();
        int pinned = -1;
        while (!_stopping)
        {
            int cpu = _pollCpu;
            if (cpu != pinned)
            {
                if (cpu >= 0) CpuAffinity.PinCurrentThread(cpu);
                else CpuAffinity.UnpinCurrentThread();
                pinned = cpu;
            }
            if (_bridge.Forward() > 0)
            {
                idleSince = Stopwatch.GetTimestamp();
                continue;
            }
            if (cpu >= 0) continue; // polling mode: never sleep
            if (Stopwatch.GetTimestamp() - idleSince < spinTicks)
            {
                Thread.Yield();
                continue;
            }
            _bridge.Wait(100);
            idleSince = Stopwatch.GetTimestamp();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _valePort.Dispose();
        _interface.Dispose();
    }
}
