namespace Netmap.Rings;

/// <summary>Which sync routine serves a kring; written once by the engine into <see cref="KringState.Kind"/>.</summary>
internal enum KringKind : uint
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
    /// <summary>TX ring of a Linux interface through AF_XDP: txsync posts [hwcur, head) to the XSK TX ring.</summary>
    XdpTx = 8,
    /// <summary>RX ring of a Linux interface through AF_XDP: rxsync returns buffers to the fill ring, takes received ones.</summary>
    XdpRx = 9,
    /// <summary>TX ring of a Linux interface through AF_PACKET: txsync copies slots into the TPACKET TX ring.</summary>
    PacketTx = 10,
    /// <summary>RX ring of a Linux interface through AF_PACKET: rxsync copies frames out of TPACKET_V3 blocks.</summary>
    PacketRx = 11,
    /// <summary>TX ring of a TAP device: txsync writes each frame to the TAP fd (into the host stack).</summary>
    TapTx = 12,
    /// <summary>RX ring of a TAP device: rxsync reads what the host stack sent to the TAP.</summary>
    TapRx = 13,
}
