using Netmap.Abi;
using Netmap.Api;
using Netmap.Tools.ValeCtl;

namespace Netmap.Tests.Tools;

/// <summary>vale-ctl's output lines, in netmap's vale-ctl format.</summary>
public class ValeCtlOutputTests
{
    [Fact]
    public void ListLine()
    {
        Assert.Equal("vale0:p1 bridge_idx 0 port_idx 3", ValeCtlOutput.ListLine(new ValePortListing("vale0:p1", 0, 3)));
    }

    [Fact]
    public void ListIndices()
    {
        Assert.Equal(["bridge_idx: 1", "port_idx:   255"], ValeCtlOutput.ListIndices(1, 255));
    }

    [Fact]
    public void PortInfo_KeepsNetmapsLabels()
    {
        var info = new NmReqPortInfoGet { MemSize = 343019520, TxSlots = 1024, RxSlots = 512, TxRings = 2, RxRings = 4, MemId = 7 };
        Assert.Equal(
            ["memsize:    343019520", "tx_slots:   1024", "rx_slots:   512", "tx_rings:   2", "rx_rings    4", "mem_id:     7"],
            ValeCtlOutput.PortInfo(info));
    }

    [Fact]
    public void NewInterface_KeepsNetmapsLabels()
    {
        var c = new NmReqValeNewInterface { TxSlots = 1024, RxSlots = 1024, TxRings = 1, RxRings = 1, MemId = 3 };
        Assert.Equal(["tx_slots:   1024", "rx_slots:   1024", "tx_rings:   1", "rx_ring:    1", "mem_id:     3"], ValeCtlOutput.NewInterface(c));
    }

    [Fact]
    public void PortIndex() => Assert.Equal("port_index: 5", ValeCtlOutput.PortIndex(5));

    [Fact]
    public void Stats()
    {
        var s = new NmReqValePortStats { RxPackets = 1, RxBytes = 60, RxDrops = 2, TxPackets = 3, TxBytes = 180, TxDrops = 4 };
        Assert.Equal("vale0:a rx_packets 1 rx_bytes 60 rx_drops 2 tx_packets 3 tx_bytes 180 tx_drops 4", ValeCtlOutput.Stats("vale0:a", s));
    }

    [Fact]
    public void Failure_UsesStrerror()
    {
        Assert.Equal("failed to remove foo: Device or resource busy", ValeCtlOutput.Failure("remove", "foo", Errno.EBUSY));
        Assert.Equal("failed to create foo: File exists", ValeCtlOutput.Failure("create", "foo", Errno.EEXIST));
        Assert.Equal("failed to list all: Operation not supported", ValeCtlOutput.Failure("list all", null, Errno.EOPNOTSUPP));
    }

    [Theory]
    [InlineData(Errno.ENOENT, "No such file or directory")]
    [InlineData(Errno.ENXIO, "No such device or address")]
    [InlineData(Errno.ENOMEM, "Cannot allocate memory")]
    [InlineData(Errno.EACCES, "Permission denied")]
    [InlineData(Errno.EFAULT, "Bad address")]
    [InlineData(Errno.EINVAL, "Invalid argument")]
    [InlineData(Errno.EOPNOTSUPP, "Operation not supported")]
    public void ErrnoText_IsGlibcs(Errno errno, string text) => Assert.Equal(text, ErrnoText.Of(errno));

    [Fact]
    public void Usage_DocumentsNetmapsOptionsAndOurExtension()
    {
        string u = ValeCtlOptions.Usage;
        Assert.StartsWith("Usage:\nvale-ctl [arguments]\n", u);
        foreach (var opt in new[] { "-g", "-d", "-a", "-h", "-n", "-r", "-l", "-C", "-p", "-P", "-m", "-v", "-S", "--help" })
            Assert.Matches($"\n\t{opt}[ \t]", u);
        Assert.Contains("with no arguments: list all existing vale ports", u);
        Assert.Contains("extensions (not in netmap's vale-ctl)", u);
    }
}
