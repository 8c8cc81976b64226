using Netmap.Api;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// Ephemeral VALE ports (spec 5): created by the first open, destroyed with their last user; a switch is created
/// with its first port and destroyed with its last. Frames for a port whose RX ring nobody bound are dropped.
/// </summary>
public class ValePortLifetimeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PortDiesWithItsLastUser_SwitchWithItsLastPort(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        Assert.Equal((0, 0), (h.Engine.ValeSwitchCount, h.Engine.ValePortCount));
        var a1 = NetmapPort.Open("vale0:a", h.Host);
        var a2 = NetmapPort.Open("vale0:a", h.Host);
        var b = NetmapPort.Open("vale0:b", h.Host);
        var c = NetmapPort.Open("vale1:c", h.Host);
        Assert.Equal((2, 3), (h.Engine.ValeSwitchCount, h.Engine.ValePortCount));

        a1.Dispose();
        Assert.Equal((2, 3), (h.Engine.ValeSwitchCount, h.Engine.ValePortCount));
        a2.Dispose();
        Assert.Equal((2, 2), (h.Engine.ValeSwitchCount, h.Engine.ValePortCount));
        Assert.Equal(255u, NetmapControl.ValeList("vale0:a", h.Host).PortIndex); // gone from the switch
        c.Dispose();
        Assert.Equal((1, 1), (h.Engine.ValeSwitchCount, h.Engine.ValePortCount));
        Assert.Throws<NetmapException>(() => NetmapControl.ValeList("vale1:c", h.Host));
        b.Dispose();
        Assert.Equal((0, 0), (h.Engine.ValeSwitchCount, h.Engine.ValePortCount));
        Assert.Equal(0, h.Engine.RegistrationCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PortMadeAgain_IsAFreshPort(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        ushort firstMem;
        using (var a = NetmapPort.Open("vale0:a@conf:slots=256", h.Host))
        {
            firstMem = a.MemId;
            Send(a, Frame(Broadcast, Mac(0xa)));
            Send(b, Frame(Broadcast, Mac(0xb))); // a does not read: the frame stays in its RX ring
        }
        using var again = NetmapPort.Open("vale0:a", h.Host);
        Assert.Equal(1024u, again.TxSlots); // the old configuration died with the port
        Assert.NotEqual(firstMem, again.MemId);
        Assert.Equal(0u, again.TxRings[0].Head);
        again.RxSync();
        Assert.Equal(0u, again.RxRings[0].Space); // nothing of the old port's RX ring
        var st = Stats(h, "vale0:a");
        Assert.Equal((0UL, 0UL), (st.TxPackets, st.RxPackets));
        Assert.Single(Receive(b, 1)); // the old a's frame reached b
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InfoRequestOnAMissingPort_LeavesNothingBehind(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var info = NetmapControl.PortInfo("vale0:ghost", host: h.Host);
        Assert.Equal(1u, (uint)info.TxRings);
        Assert.NotEqual(0, info.MemId);
        Assert.Equal((0, 0), (h.Engine.ValeSwitchCount, h.Engine.ValePortCount));
        NetmapControl.PoolsInfo("vale0:ghost", h.Host);
        Assert.Equal((0, 0), (h.Engine.ValeSwitchCount, h.Engine.ValePortCount));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FramesForAnUnboundRxRing_AreDroppedAndCounted(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b/T", h.Host); // TX rings only: nobody binds b's RX ring
        using var c = NetmapPort.Open("vale0:c", h.Host);
        Assert.Empty(b.RxRings);
        Send(a, Frame(Broadcast, Mac(0xa)));
        Send(a, Frame(Broadcast, Mac(0xa)));
        Assert.Equal(2, Receive(c, 2).Count);
        var sb = Stats(h, "vale0:b");
        Assert.Equal((0UL, 2UL), (sb.RxPackets, sb.RxDrops));

        // b's TX ring still works.
        var f = Frame(Broadcast, Mac(0xb), 77);
        Send(b, f);
        Assert.Equal(f, Assert.Single(Receive(a, 1)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ClosingAndReopeningAReceiver_WhileFramesAreSentToIt_IsSafe(bool daemon)
    {
        // A port joining a switch while a forwarder is busy on it must not deadlock the two. The scenario runs on a
        // thread of its own with a deadline, so that a deadlock fails this test instead of hanging the suite (the
        // stuck threads are then abandoned, with the host: disposing it would wait for them forever).
        var h = new ValeTestHost(daemon);
        Exception? error = null;
        var body = new Thread(() =>
        {
            try { OpenCloseUnderTraffic(h); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true, Name = "vale-open-close" };
        body.Start();
        if (!body.Join(TimeSpan.FromSeconds(15)))
            Assert.Fail("opening/closing vale0:b while vale0:a sends did not finish within 15 s: deadlock between " +
                "a registration (switch write lock, worker quiesce) and a forwarding pass (switch read lock)?");
        h.Dispose();
        if (error is not null) throw new Xunit.Sdk.XunitException($"scenario failed: {error}");
    }

    private static void OpenCloseUnderTraffic(ValeTestHost h)
    {
        using var a = NetmapPort.Open("vale0:a", h.Host);
        var stop = false;
        long sent = 0;
        var sender = new Thread(() =>
        {
            var frame = Frame(Broadcast, Mac(0xa));
            while (!Volatile.Read(ref stop))
            {
                for (int i = 0; i < 64 && a.Inject(frame); i++) sent++;
                a.Poll(PollEvents.Out, 100);
            }
        }) { IsBackground = true };
        sender.Start();
        try
        {
            for (int i = 0; i < 30; i++)
            {
                using var b = NetmapPort.Open("vale0:b", h.Host);
                b.Poll(PollEvents.In, 100);
                while (b.NextPacket(out var f, out _)) Assert.Equal(60, f.Length);
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            Assert.True(sender.Join(5000));
        }
        Assert.True(sent > 0);
        Assert.Equal(1, h.Engine.ValePortCount);
        Assert.Equal(0, h.Engine.DoubleFrees);
    }
}
