using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Tests.Engine;

/// <summary>Our extension requests for clients that cannot run their syncs or did not register the descriptor
/// themselves: SESSION_REGISTRATION_GET (adoption) and SESSION_SYNC (the syncs and poll rounds run by the engine).</summary>
public sealed class SessionRequestTests : IDisposable
{
    private readonly NetmapEngine _engine = new();

    public void Dispose() => _engine.Dispose();

    private static NmReqSessionSync Sync(EngineClient c, uint flags, ushort events = 0)
    {
        var req = EngineClient.Request(RequestType.SessionSync, "", NmReqSessionSync.Size);
        req.Body<NmReqSessionSync>().Flags = flags;
        req.Body<NmReqSessionSync>().Events = events;
        Assert.Equal(Errno.None, c.Send(req));
        return req.Body<NmReqSessionSync>();
    }

    [Fact]
    public void Unregistered_IsEnxio_ForBoth()
    {
        using var c = new EngineClient(_engine);
        Assert.Equal(Errno.ENXIO, c.Send(EngineClient.Request(RequestType.SessionRegistrationGet, "", NmReqRegister.Size)));
        Assert.Equal(Errno.ENXIO, c.Send(EngineClient.Request(RequestType.SessionSync, "", NmReqSessionSync.Size)));
    }

    [Fact]
    public void RegistrationGet_ReturnsWhatRegisterWroteBack_AndTheSameRegion()
    {
        using var c = new EngineClient(_engine);
        Assert.Equal(Errno.None, c.Register("sr{1", flags: RegisterFlags.NoTxPoll));
        var first = c.Registration!;
        var req = EngineClient.Request(RequestType.SessionRegistrationGet, "", NmReqRegister.Size);
        Assert.Equal(Errno.None, c.Send(req));
        var again = req.Body<NmReqRegister>();
        Assert.Equal(c.Written.Offset, again.Offset);
        Assert.Equal(c.Written.MemSize, again.MemSize);
        Assert.Equal(c.Written.MemId, again.MemId);
        Assert.Equal(RegisterFlags.NoTxPoll, again.Flags & RegisterFlags.NoTxPoll);
        Assert.Same(first.Region, c.Registration!.Region);
        Assert.Equal(first.Token, c.Registration.Token);
    }

    [Fact]
    public void SessionSync_MovesPacketsThroughAPipe_AndReportsReadinessLikePoll()
    {
        using var m = new EngineClient(_engine);
        using var s = new EngineClient(_engine);
        Assert.Equal(Errno.None, m.Register("ss{1"));
        Assert.Equal(Errno.None, s.Register("ss}1"));
        const ushort pollIn = 1, pollOut = 4;
        Assert.Equal(0, Sync(s, NmReqSessionSync.Check, pollIn).REvents);
        Assert.Equal(pollOut, Sync(m, NmReqSessionSync.Check, pollOut).REvents);

        Assert.Equal(0, Sync(s, NmReqSessionSync.Arm, pollIn).REvents); // armed: nothing to receive yet

        // the client writes a slot in the shared region as a C program would; the engine's txsync publishes it
        var (tx, _) = m.RingTable();
        long txRing = m.NifpOffset + tx[0];
        ref var th = ref m.Memory.Ref<NetmapRingHeader>(txRing);
        m.Memory.Ref<NetmapSlot>(txRing + NetmapRingHeader.OffsetOfSlots).Length = 64;
        th.Head = th.Cur = 1;
        Sync(m, NmReqSessionSync.TxSync);

        Assert.Equal(pollIn, Sync(s, NmReqSessionSync.Check | NmReqSessionSync.Disarm, pollIn).REvents);
        var (_, rx) = s.RingTable();
        long rxRing = s.NifpOffset + rx[0];
        Assert.Equal(1u, s.Memory.Ref<NetmapRingHeader>(rxRing).Tail);
        Assert.Equal(64, s.Memory.Ref<NetmapSlot>(rxRing + NetmapRingHeader.OffsetOfSlots).Length);
    }
}
