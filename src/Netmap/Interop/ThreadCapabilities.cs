using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>
/// Capabilities of the calling thread. Linux keeps capability sets per thread and glibc's capset(2) is the bare
/// system call, so <see cref="Drop"/> affects only the calling thread (and threads it creates afterwards): run it
/// on a thread of its own that ends when done, e.g. to see what an unprivileged caller would get.
/// </summary>
internal static unsafe partial class ThreadCapabilities
{
    private const uint LinuxCapabilityVersion3 = 0x20080522;

    private struct Header { public uint Version; public int Pid; }

    /// <summary>data points at two struct __user_cap_data_struct { effective, permitted, inheritable } (capabilities
    /// 0-31, then 32-63), six u32.</summary>
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int capget(Header* header, uint* data);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int capset(Header* header, uint* data);

    /// <summary>Removes <paramref name="capability"/> (e.g. <see cref="Capabilities.NetAdmin"/>) from the calling
    /// thread's effective and permitted sets, for good.</summary>
    public static void Drop(int capability)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capability, 63);
        Header h = new() { Version = LinuxCapabilityVersion3, Pid = 0 };
        uint* d = stackalloc uint[6];
        if (capget(&h, d) != 0) throw SystemError.Last($"thread {Environment.CurrentManagedThreadId}", "capget");
        uint mask = ~(1u << (capability & 31));
        d[3 * (capability >> 5)] &= mask;     // effective
        d[3 * (capability >> 5) + 1] &= mask; // permitted
        if (capset(&h, d) != 0) throw SystemError.Last($"thread {Environment.CurrentManagedThreadId}", $"capset without capability {capability}");
    }

    /// <summary>True when the calling thread has <paramref name="capability"/> in its effective set.</summary>
    public static bool Has(int capability)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capability, 63);
        Header h = new() { Version = LinuxCapabilityVersion3, Pid = 0 };
        uint* d = stackalloc uint[6];
        if (capget(&h, d) != 0) throw SystemError.Last($"thread {Environment.CurrentManagedThreadId}", "capget");
        return (d[3 * (capability >> 5)] >> (capability & 31) & 1) != 0;
    }
}
