using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;

namespace Netmap.Tests.Pipes;

/// <summary>Close semantics of spec 6: one open end keeps the pipe and its queued packets; closing both frees everything.</summary>
public sealed class PipeLifetimeTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly NetmapHost _host;

    public PipeLifetimeTests() => _host = NetmapHost.Embedded(_engine);

    public void Dispose() => _engine.Dispose();

    private NetmapPort Open(string spec, uint extra = 0) => NetmapPort.Open(spec, _host, new NetmapPortOptions { ExtraBuffers = extra });

    [Fact]
    public void ClosingTheReceiverWithPacketsPending_KeepsThem_ForTheReopenedEnd()
    {
        using var m = Open("netmap:lt{1");
        var s = Open("netmap:lt}1");
        for (int i = 0; i < 5; i++) Assert.True(m.Inject(new byte[] { (byte)(10 + i) }));
        Assert.True(m.TxSync());
        Assert.True(s.RxSync());
        Assert.True(s.NextPacket(out var first, out _));   // consumed one, then closed without syncing
        Assert.Equal(10, first[0]);
        s.Dispose();
        Assert.Equal(1, _engine.PipeCount);

        for (int i = 5; i < 8; i++) Assert.True(m.Inject(new byte[] { (byte)(10 + i) }));
        Assert.True(m.TxSync()); // the sender can go on while the other end is closed

        using var again = Open("netmap:lt}1");
        Assert.True(again.RxSync());
        var got = new List<byte>();
        while (again.NextPacket(out var f, out _)) got.Add(f[0]);
        Assert.Equal(new byte[] { 11, 12, 13, 14, 15, 16, 17 }, got);
    }

    [Fact]
    public void ClosingTheSender_KeepsWhatItSent_ForTheReceiver()
    {
        var m = Open("netmap:ls{1");
        using var s = Open("netmap:ls}1");
        Assert.True(m.Inject("bye"u8));
        Assert.True(m.TxSync());
        m.Dispose();

        Assert.True(s.RxSync());
        Assert.True(s.NextPacket(out var f, out _));
        Assert.Equal("bye"u8.ToArray(), f.ToArray());
        Assert.Equal(1, _engine.PipeCount);

        using var m2 = Open("netmap:ls{1");
        Assert.True(s.RxSync());
        Assert.True(m2.TxSync());
        Assert.Equal(m2.TxRings[0].NumSlots - 1, m2.TxRings[0].Space); // the released slot came back to the new sender
    }

    [Fact]
    public void ClosingBothEnds_FreesEveryBuffer_AndThePipe()
    {
        var keeper = Open("netmap:lf{0"); // keeps the parent's region so its free count can be read
        ushort memId = keeper.MemId;
        long initial = _engine.FreeBuffers(memId);

        var m = Open("netmap:lf{1", extra: 6);
        var s = Open("netmap:lf}1", extra: 3);
        Assert.Equal(2, _engine.PipeCount);
        Assert.True(_engine.FreeBuffers(memId) < initial);
        // Leave packets everywhere: published and unread, read but not released, injected but not synced.
        for (int i = 0; i < 300; i++) Assert.True(m.Inject(new byte[3000]));
        Assert.True(m.TxSync());
        for (int i = 0; i < 50; i++) Assert.True(s.Inject(new byte[10]));
        Assert.True(s.TxSync());
        Assert.True(s.RxSync());
        for (int i = 0; i < 100; i++) Assert.True(s.NextPacket(out _, out _));
        Assert.True(s.RxSync());
        for (int i = 0; i < 20; i++) Assert.True(s.NextPacket(out _, out _));
        for (int i = 0; i < 7; i++) Assert.True(m.Inject(new byte[10]));

        s.Dispose();
        Assert.Equal(2, _engine.PipeCount);
        m.Dispose();

        Assert.Equal(1, _engine.PipeCount);
        Assert.Equal(initial, _engine.FreeBuffers(memId));
        Assert.Equal(0, _engine.DoubleFrees);

        keeper.Dispose();
        Assert.Equal(0, _engine.PipeCount);
        Assert.Equal(0, _engine.RegistrationCount);
        Assert.Equal(0, _engine.DoubleFrees);
    }

    [Fact]
    public void ClosingTheLastPipeOfAParent_ReleasesTheParentsRegion()
    {
        var m = Open("netmap:lr{1");
        var s = Open("netmap:lr}1");
        ushort memId = m.MemId;
        Assert.True(_engine.FreeBuffers(memId) > 0);
        m.Dispose();
        s.Dispose();
        Assert.Equal(0, _engine.PipeCount);
        Assert.Equal(-1, _engine.FreeBuffers(memId));
        Assert.Equal(0, _engine.RegistrationCount);
    }

    [Fact]
    public void ReopeningAfterBothEndsClosed_GivesAFreshPipe()
    {
        var m = Open("netmap:lo{1");
        var s = Open("netmap:lo}1");
        Assert.True(m.Inject("old"u8));
        Assert.True(m.TxSync());
        m.Dispose();
        s.Dispose();

        using var s2 = Open("netmap:lo}1");
        using var m2 = Open("netmap:lo{1");
        Assert.True(s2.RxSync());
        Assert.False(s2.NextPacket(out _, out _));
        Assert.Equal((0u, 0u), (s2.RxRings[0].Head, s2.RxRings[0].Tail));
    }

    [Fact]
    public void OpeningTheSlaveFirst_CreatesThePipe_AndTheMasterAttachesToIt()
    {
        using var s = Open("netmap:sf}1@conf:tx_rings=2,rx_rings=3");
        Assert.Equal(1, _engine.PipeCount);
        using var m = Open("netmap:sf{1");
        Assert.Equal((3, 2), (m.TxRings.Count, m.RxRings.Count)); // the slave's counts, swapped
        Assert.True(m.Inject("hello"u8));
        Assert.True(m.TxSync());
        Assert.True(s.RxSync());
        Assert.True(s.NextPacket(out var f, out _));
        Assert.Equal("hello"u8.ToArray(), f.ToArray());
    }
}
