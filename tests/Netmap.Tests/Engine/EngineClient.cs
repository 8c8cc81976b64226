using Netmap.Abi;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Interop;

namespace Netmap.Tests.Engine;

/// <summary>
/// One session ("open /dev/netmap") on an engine, sending hand-built NIOCCTRL messages the way a C program
/// would fill nmreq_header and its body. Test helper, not a test class.
/// </summary>
internal sealed class EngineClient : IDisposable
{
    public EngineClient(NetmapEngine engine) : this(engine, 0) { }

    /// <summary>A session of a client with uid <paramref name="uid"/> (0 = root).</summary>
    public EngineClient(NetmapEngine engine, uint uid)
    {
        Engine = engine;
        Session = engine.OpenSession($"test uid {uid}", 0, uid);
    }

    /// <summary>Sends a request with body <paramref name="body"/> and optional mode option; returns the errno and the
    /// body as written back.</summary>
    public (Errno Err, T Body) Request<T>(RequestType type, string name, T body, uint? mode = null) where T : struct
    {
        var req = new ControlRequest(type, name, System.Runtime.InteropServices.Marshal.SizeOf<T>());
        req.Body<T>() = body;
        if (mode is { } m) req.AddOption(new NmReqOptAccess { Option = new NmReqOption { Type = OptionType.Access }, Mode = m });
        var err = Send(req);
        return (err, req.Body<T>());
    }

    /// <summary>REGISTER with our access option (the mode of what it creates).</summary>
    public Errno Register(string name, uint mode, NmReqRegister body = default)
    {
        var req = new ControlRequest(RequestType.Register, name, NmReqRegister.Size);
        if (body.Mode == 0) body.Mode = RegisterMode.AllNic;
        req.Body<NmReqRegister>() = body;
        req.AddOption(new NmReqOptAccess { Option = new NmReqOption { Type = OptionType.Access }, Mode = mode });
        var err = Send(req);
        Written = req.Body<NmReqRegister>();
        return err;
    }

    public NetmapEngine Engine { get; }
    public EngineSession Session { get; }

    /// <summary>The result of the last successful REGISTER on this session.</summary>
    public RegisterResult? Registration { get; private set; }

    /// <summary>The body as the engine left it after the last <see cref="Register"/>.</summary>
    public NmReqRegister Written { get; private set; }

    public static ControlRequest Request(RequestType type, string name, int bodySize) => new(type, name, bodySize);

    public Errno Send(ControlRequest request)
    {
        var err = Engine.Control(Session, request.Message, out var result);
        if (result is not null) Registration = result;
        return err;
    }

    /// <summary>REGISTER <paramref name="name"/> with <paramref name="body"/>; the written-back body is in <see cref="Written"/>.</summary>
    public Errno Register(string name, NmReqRegister body)
    {
        var req = new ControlRequest(RequestType.Register, name, NmReqRegister.Size);
        req.Body<NmReqRegister>() = body;
        var err = Send(req);
        Written = req.Body<NmReqRegister>();
        return err;
    }

    public Errno Register(string name, RegisterMode mode = RegisterMode.AllNic, ushort ringId = 0, RegisterFlags flags = RegisterFlags.None)
        => Register(name, new NmReqRegister { Mode = mode, RingId = ringId, Flags = flags });

    public MappedMemory Memory => Registration!.Region.Mapping;

    public long NifpOffset => Registration!.NifpOffset;

    public ref NetmapIfHeader Nifp => ref Memory.Ref<NetmapIfHeader>(NifpOffset);

    /// <summary>ring_ofs[i] of this session's netmap_if.</summary>
    public long RingOfs(int i) => Memory.Ref<long>(NifpOffset + NetmapIfHeader.OffsetOfRingOfs + 8L * i);

    /// <summary>ring_ofs[] of the NIC TX rings, then of the NIC RX rings (host entries skipped).</summary>
    public (long[] Tx, long[] Rx) RingTable()
    {
        ref var ni = ref Nifp;
        var tx = new long[ni.TxRings];
        var rx = new long[ni.RxRings];
        for (int i = 0; i < tx.Length; i++) tx[i] = RingOfs(i);
        int rxBase = (int)(ni.TxRings + ni.HostTxRings);
        for (int i = 0; i < rx.Length; i++) rx[i] = RingOfs(rxBase + i);
        return (tx, rx);
    }

    /// <summary>The extra-buffer list from ni_bufs_head, stopping after <paramref name="max"/> entries.</summary>
    public List<uint> ExtraBufferChain(int max = 100_000)
    {
        var list = new List<uint>();
        var region = Registration!.Region;
        for (uint b = Nifp.BufsHead; b != 0 && list.Count < max; b = Memory.Ref<uint>(region.BufferOffset(b)))
            list.Add(b);
        return list;
    }

    public void Dispose() => Session.Dispose();
}
