namespace Netmap.Rings;

/// <summary>Which sync routine serves a kring; written once by the engine into <see cref="KringState.Kind"/>.</summary>
public enum KringKind : uint
{
    Unused = 0,
    /// <summary>TX ring of a pipe end: txsync moves slots to the peer RX ring.</summary>
    PipeTx = 1,
    /// <summary>RX ring of a pipe end: rxsync returns slots to the peer TX ring.</summary>
    PipeRx = 2,
    /// <summary>Ring of a null port: syncs do nothing.</summary>
    Null = 3,
    /// <summary>TX ring of a VALE port: txsync hands [hwcur, head) to the switch (in the caller when the engine is
    /// in this process, else to a netmapd forwarding worker).</summary>
    ValeTx = 4,
    /// <summary>RX ring of a VALE port: rxsync releases slots; the switch fills it asynchronously.</summary>
    ValeRx = 5,
    /// <summary>TX ring of a monitor: txsync always fails (EIO in netmap).</summary>
    MonitorTx = 6,
    /// <summary>RX ring of a monitor: rxsync releases slots; the monitored port's syncs fill it.</summary>
    MonitorRx = 7,
}
