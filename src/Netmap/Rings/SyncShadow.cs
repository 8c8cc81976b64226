using System.Runtime.InteropServices;

namespace Netmap.Rings;

/// <summary>
/// A <see cref="Kring"/>'s shadow (<see cref="SyncSnapshot"/>) on a cache line of its own: it is written by every sync
/// of that ring, and the handles of rings that different threads sync are often allocated side by side.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct SyncShadow
{
    [FieldOffset(64)] public SyncSnapshot Value;
}
