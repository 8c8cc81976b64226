namespace Netmap.Memory;

/// <summary>Requested (pre-rounding) object sizes and counts of the three pools.</summary>
internal readonly record struct AllocatorParameters(uint IfSize, uint IfNum, uint RingSize, uint RingNum, uint BufSize, uint BufNum)
{
    /// <summary>The global allocator's defaults (dev.netmap.{if,ring,buf}_{size,num}).</summary>
    public static AllocatorParameters GlobalDefaults => new(1024, 100, 36864, 200, 2048, 163840);

    /// <summary>Base "priv" parameters before netmap_mem_private_new raises them.</summary>
    public static AllocatorParameters PrivateDefaults => new(1024, 2, 5 * 4096, 4, 2048, 4098);

    /// <summary>
    /// netmap_mem_private_new(txr, txd, rxr, rxd, extra, npipes): raises the private defaults to fit a port
    /// (txr/rxr each include the fake host ring).
    /// </summary>
    public static AllocatorParameters ForPrivatePort(uint txr, uint txd, uint rxr, uint rxd, uint extraBufs, uint npipes)
    {
        var p = PrivateDefaults;
        uint ifSize = Math.Max(p.IfSize, 56 + 8 * (txr + rxr));
        uint ifNum = Math.Max(p.IfNum, 2 + 4 * npipes);
        uint ringSize = Math.Max(p.RingSize, 256 + 16 * Math.Max(txd, rxd));
        uint ringNum = Math.Max(p.RingNum, txr + rxr + 8 * npipes);
        ulong bufNum = Math.Max(p.BufNum, (4UL * npipes + rxr) * rxd + (4UL * npipes + txr) * txd + 2 + extraBufs);
        return new AllocatorParameters(ifSize, ifNum, ringSize, ringNum, p.BufSize, (uint)Math.Min(bufNum, uint.MaxValue));
    }
}
