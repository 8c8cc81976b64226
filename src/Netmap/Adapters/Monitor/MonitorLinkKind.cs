namespace Netmap.Adapters.Monitor;

/// <summary>How a ring feeds a monitor RX ring: the high byte of a link entry in the kring's monitor table.</summary>
internal enum MonitorLinkKind : byte
{
    /// <summary>An empty entry (readers skip it).</summary>
    None = 0,
    /// <summary>Copy monitor (/r, /t, /rt): frames are copied when they are sent or arrive.</summary>
    Copy = 1,
    /// <summary>Zero-copy monitor (/z): buffers are swapped in when the slots are released. At most one per table:
    /// the head of the chain (on a monitored ring) or the next monitor of the chain (on a zero-copy monitor's ring).</summary>
    ZeroCopy = 2,
}
