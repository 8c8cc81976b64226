using Netmap.Interop;

namespace Netmap.Memory;

/// <summary>
/// The client a request comes from, as the engine's ownership checks see it: its uid (netmapd: SO_PEERCRED; embedded:
/// this process's), its groups (read from /proc when a group bit is first consulted) and the mode that objects this
/// request creates get.
/// </summary>
internal sealed class AccessCaller
{
    private uint[]? _groups;

    public AccessCaller(uint uid, int pid, uint mode)
    {
        Uid = uid; Pid = pid; Mode = mode;
    }

    public uint Uid { get; }
    /// <summary>The client process (0: this process).</summary>
    public int Pid { get; }
    /// <summary>Mode bits of what this request creates (its @conf:mode=, else the engine's default).</summary>
    public uint Mode { get; }

    /// <summary>Effective gid first, then the supplementary groups (empty when /proc cannot tell).</summary>
    public uint[] Groups => _groups ??= ProcessInfo.Groups(Pid);

    public bool InGroup(uint gid) => Array.IndexOf(Groups, gid) >= 0;

    /// <summary>The access of an object this request creates.</summary>
    public ObjectAccess NewObject() => new(Uid, Groups.Length > 0 ? Groups[0] : uint.MaxValue, Mode);
}
