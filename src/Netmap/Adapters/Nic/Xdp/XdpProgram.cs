using Netmap.Interop;

namespace Netmap.Adapters.Nic.Xdp;

/// <summary>
/// The XDP program of netmap mode, assembled here (no compiler, no libbpf): every frame goes to the XSK of its
/// receive queue through the XSKMAP; a frame of a queue without a socket is dropped (XDP_DROP), so while the
/// interface is in netmap mode nothing reaches the host stack.
/// <code>
/// r2 = *(u32 *)(r1 + 16)        ; xdp_md.rx_queue_index
/// r1 = map[xsks]                ; ld_imm64, src = BPF_PSEUDO_MAP_FD (the loader puts the map pointer in)
/// r3 = XDP_DROP                 ; bpf_redirect_map flags: the low bits are the action when the key is absent
/// call bpf_redirect_map         ; r0 = XDP_REDIRECT, or XDP_DROP
/// exit
/// </code>
/// </summary>
internal static class XdpProgram
{
    public const int XdpDrop = 1, XdpPass = 2, XdpRedirect = 4;

    private const byte LdxMemW = 0x61;      // BPF_LDX | BPF_MEM | BPF_W
    private const byte LdImmDw = 0x18;      // BPF_LD | BPF_IMM | BPF_DW (two slots)
    private const byte Mov64Imm = 0xb7;     // BPF_ALU64 | BPF_MOV | BPF_K
    private const byte Call = 0x85;         // BPF_JMP | BPF_CALL
    private const byte Exit = 0x95;         // BPF_JMP | BPF_EXIT
    private const int PseudoMapFd = 1;
    private const int HelperRedirectMap = 51;
    private const short RxQueueIndexOffset = 16;

    /// <summary>The program's name in bpftool / ip link.</summary>
    public const string Name = "netmap_xsk";

    /// <summary>The instructions for XSKMAP <paramref name="mapFd"/>, with <paramref name="fallback"/> as the action
    /// for queues that have no socket.</summary>
    public static ulong[] Build(int mapFd, int fallback = XdpDrop) =>
    [
        Bpf.Insn(LdxMemW, 2, 1, RxQueueIndexOffset, 0),
        Bpf.Insn(LdImmDw, 1, PseudoMapFd, 0, mapFd),
        Bpf.Insn(0, 0, 0, 0, 0),
        Bpf.Insn(Mov64Imm, 3, 0, 0, fallback),
        Bpf.Insn(Call, 0, 0, 0, HelperRedirectMap),
        Bpf.Insn(Exit, 0, 0, 0, 0),
    ];
}
