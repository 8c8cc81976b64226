namespace Netmap.Interop;

/// <summary>
/// The shape of the TPACKET_V3 rings of one packet socket, as the engine chose it and as every process that maps
/// the rings reads it back from the krings' BackendParam0..3. The mapping is
/// <code>
/// offset 0                          RxBytes                                 TotalBytes
/// | RX block 0 | RX block 1 | ... | TX block 0: frame 0 | frame 1 | ... | TX block 1 | ...
/// </code>
/// Both rings use blocks of <see cref="BlockSize"/> bytes (a power of two, so the kernel allocates each block
/// whole); a TX frame never crosses a block, so <see cref="TxFrames"/> is a multiple of
/// <see cref="TxFramesPerBlock"/>.
/// </summary>
internal readonly record struct TpacketGeometry(uint BlockSize, uint RxBlocks, uint TxFrameSize, uint TxFrames)
{
    public const uint MinBlockSize = 4096;
    /// <summary>2 MiB: keeps a frame's index in a block below 2^16 (a V3 frame takes at least 48 bytes), which the
    /// RX cursor packs into 16 bits.</summary>
    public const uint MaxBlockSize = 2u << 20;
    /// <summary>The RX cursor packs the block index into 16 bits.</summary>
    public const uint MaxBlocks = 65535;
    /// <summary>1 GiB of mapping at most.</summary>
    public const long MaxTotalBytes = 1L << 30;

    public uint TxFramesPerBlock => TxFrameSize == 0 ? 0 : BlockSize / TxFrameSize;
    public uint TxBlocks => TxFramesPerBlock == 0 ? 0 : TxFrames / TxFramesPerBlock;
    public long RxBytes => (long)BlockSize * RxBlocks;
    public long TxBytes => (long)BlockSize * TxBlocks;
    public long TotalBytes => RxBytes + TxBytes;
    /// <summary>Bytes of frame data a TX frame carries (the frame minus the header the kernel reserves).</summary>
    public uint TxMaxFrameData => TxFrameSize - Tpacket3Header.TxDataOffset;

    /// <summary>True when the kernel could have accepted these values and the mapping stays within the limits;
    /// <paramref name="why"/> names the first broken rule.</summary>
    public bool IsValid(out string why)
    {
        why = "";
        if (BlockSize < MinBlockSize || BlockSize > MaxBlockSize || (BlockSize & (BlockSize - 1)) != 0)
            why = $"block size {BlockSize} is not a power of two in [{MinBlockSize}, {MaxBlockSize}]";
        else if (RxBlocks == 0 || RxBlocks > MaxBlocks)
            why = $"{RxBlocks} RX blocks, not in [1, {MaxBlocks}]";
        else if (TxFrameSize < Tpacket3Header.TxDataOffset + 64 || TxFrameSize % 16 != 0 || TxFrameSize > BlockSize)
            why = $"TX frame size {TxFrameSize} is not a multiple of 16 in [{Tpacket3Header.TxDataOffset + 64}, block size]";
        else if (TxFrames == 0 || TxFrames % TxFramesPerBlock != 0 || TxBlocks > MaxBlocks)
            why = $"{TxFrames} TX frames do not fill whole blocks of {TxFramesPerBlock} (at most {MaxBlocks} blocks)";
        else if (TotalBytes > MaxTotalBytes)
            why = $"{TotalBytes} bytes of rings exceed {MaxTotalBytes}";
        return why.Length == 0;
    }
}
