using System.Runtime.InteropServices;
using System.Text;

namespace Netmap.Interop;

/// <summary>
/// The bpf(2) calls netmap needs, made without libbpf: create a map, load a program, update a map element,
/// attach a program with a bpf_link. Every call returns a descriptor (or 0) on success and -errno on failure,
/// so callers decide how to report. Descriptors are closed with <see cref="Libc.close"/>; closing the last
/// link descriptor detaches the program (also when the process dies).
/// </summary>
internal static unsafe partial class Bpf
{
    public const int ProgTypeSchedCls = 3, ProgTypeXdp = 6, MapTypeXskMap = 17;
    public const int AttachXdp = 37, AttachTcxIngress = 46, AttachTcxEgress = 47;
    public const uint XdpFlagsSkbMode = 2, XdpFlagsDrvMode = 4;

    private const long SysBpf = 321;   // x86_64
    private const int CmdMapCreate = 0, CmdMapUpdateElem = 2, CmdProgLoad = 5, CmdLinkCreate = 28;
    private const int AttrSize = 144;  // large enough for every command used here; the rest stays zero
    private const int ObjNameLen = 16; // BPF_OBJ_NAME_LEN, including the terminating NUL

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial long syscall(long number, long cmd, void* attr, long size);

    /// <summary>Loads a program (license "GPL"). Returns its fd or -errno; <paramref name="verifierLog"/> holds the
    /// verifier's text when the load failed (empty on success).</summary>
    public static int LoadProgram(int progType, int expectedAttachType, ReadOnlySpan<ulong> insns, string name, out string verifierLog)
    {
        verifierLog = "";
        byte* license = stackalloc byte[] { (byte)'G', (byte)'P', (byte)'L', 0 };
        byte* attr = stackalloc byte[AttrSize];
        int fd;
        fixed (ulong* code = insns)
        {
            Fill(attr, progType, insns.Length, code, license, null, 0, 0, name, expectedAttachType);
            fd = Call(CmdProgLoad, attr);
            if (fd >= 0 || fd == -(int)Errno.EPERM) return fd;
            // Load again with a log only to explain the failure (keeps the success path cheap).
            const int logSize = 64 * 1024;
            byte[] log = new byte[logSize];
            fixed (byte* l = log)
            {
                Fill(attr, progType, insns.Length, code, license, l, logSize, 1, name, expectedAttachType);
                int again = Call(CmdProgLoad, attr);
                if (again >= 0) { verifierLog = ""; return again; }
            }
            int n = Array.IndexOf(log, (byte)0);
            verifierLog = Encoding.ASCII.GetString(log, 0, n < 0 ? log.Length : n).TrimEnd();
            return fd;
        }

        static void Fill(byte* a, int type, int count, ulong* code, byte* lic, byte* log, int logSize, int level, string nm, int eat)
        {
            new Span<byte>(a, AttrSize).Clear();
            *(uint*)(a + 0) = (uint)type;            // prog_type
            *(uint*)(a + 4) = (uint)count;           // insn_cnt
            *(ulong*)(a + 8) = (ulong)code;          // insns
            *(ulong*)(a + 16) = (ulong)lic;          // license
            *(uint*)(a + 24) = (uint)level;          // log_level
            *(uint*)(a + 28) = (uint)logSize;        // log_size
            *(ulong*)(a + 32) = (ulong)log;          // log_buf
            WriteName(a + 48, nm);                   // prog_name
            *(uint*)(a + 68) = (uint)eat;            // expected_attach_type
        }
    }

    /// <summary>BPF_MAP_CREATE. Returns the map fd or -errno.</summary>
    public static int CreateMap(int mapType, int keySize, int valueSize, int maxEntries, string name)
    {
        byte* a = stackalloc byte[AttrSize];
        new Span<byte>(a, AttrSize).Clear();
        *(uint*)(a + 0) = (uint)mapType;
        *(uint*)(a + 4) = (uint)keySize;
        *(uint*)(a + 8) = (uint)valueSize;
        *(uint*)(a + 12) = (uint)maxEntries;
        WriteName(a + 28, name);                    // map_name
        return Call(CmdMapCreate, a);
    }

    /// <summary>BPF_MAP_UPDATE_ELEM with BPF_ANY, 4-byte key and value. Returns 0 or -errno.</summary>
    public static int UpdateElement(int mapFd, uint key, uint value)
    {
        byte* a = stackalloc byte[AttrSize];
        new Span<byte>(a, AttrSize).Clear();
        *(uint*)(a + 0) = (uint)mapFd;
        *(ulong*)(a + 8) = (ulong)&key;
        *(ulong*)(a + 16) = (ulong)&value;
        return Call(CmdMapUpdateElem, a);
    }

    /// <summary>BPF_LINK_CREATE on an interface (XDP or tcx). Returns the link fd or -errno.</summary>
    public static int CreateLink(int progFd, int targetIfIndex, int attachType, uint flags)
    {
        byte* a = stackalloc byte[AttrSize];
        new Span<byte>(a, AttrSize).Clear();
        *(uint*)(a + 0) = (uint)progFd;
        *(uint*)(a + 4) = (uint)targetIfIndex;
        *(uint*)(a + 8) = (uint)attachType;
        *(uint*)(a + 12) = flags;
        return Call(CmdLinkCreate, a);
    }

    /// <summary>One eBPF instruction: opcode, dst register (low nibble), src register (high nibble), offset, immediate.</summary>
    public static ulong Insn(byte opcode, int dst, int src, short off, int imm) =>
        opcode | (ulong)(byte)((src << 4) | (dst & 0xf)) << 8 | (ulong)(ushort)off << 16 | (ulong)(uint)imm << 32;

    private static int Call(int cmd, byte* attr)
    {
        long r;
        do r = syscall(SysBpf, cmd, attr, AttrSize);
        while (r < 0 && Marshal.GetLastPInvokeError() == (int)Errno.EINTR);
        return r < 0 ? -Marshal.GetLastPInvokeError() : (int)r;
    }

    private static void WriteName(byte* dst, string name)
    {
        int n = Math.Min(name.Length, ObjNameLen - 1);
        for (int i = 0; i < n; i++)
        {
            char c = name[i];
            // The kernel accepts only alphanumerics, '_' and '.' in object names.
            dst[i] = (byte)(char.IsAsciiLetterOrDigit(c) || c == '.' ? c : '_');
        }
    }
}
