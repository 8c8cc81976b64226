using Netmap.Adapters.Nic.Xdp;
using Netmap.Interop;

namespace Netmap.Tests.Nic.Xdp;

/// <summary>The hand-assembled XDP program and the bpf() calls that load it.</summary>
public sealed class XdpProgramTests
{
    [Fact]
    public void TheRedirectProgram_PassesTheVerifier()
    {
        int map = Bpf.CreateMap(Bpf.MapTypeXskMap, 4, 4, 4, "nm_test_xsks");
        Assert.True(map >= 0, $"BPF_MAP_CREATE: {map}");
        try
        {
            int prog = Bpf.LoadProgram(Bpf.ProgTypeXdp, Bpf.AttachXdp, XdpProgram.Build(map), XdpProgram.Name, out string log);
            Assert.True(prog >= 0, $"BPF_PROG_LOAD: {prog}: {log}");
            Assert.Equal("", log);
            Libc.close(prog);
        }
        finally { Libc.close(map); }
    }

    [Fact]
    public void AProgramTheVerifierRejects_ReturnsMinusErrnoAndTheVerifiersText()
    {
        ulong[] bad = [Bpf.Insn(0x95, 0, 0, 0, 0)]; // exit with r0 never written
        int prog = Bpf.LoadProgram(Bpf.ProgTypeXdp, Bpf.AttachXdp, bad, "nm_bad", out string log);
        Assert.Equal(-13, prog); // EACCES
        Assert.Contains("R0", log);
    }
}
