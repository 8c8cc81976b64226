namespace Netmap.Rings;

/// <summary>Which sync routine serves a kring; written once by the engine into <see cref="KringState.Kind"/>.</summary>
public enum KringKind : uint
{
    Unused = 0,
    /// <summary>TX ring of a pipe end: txsync moves slots to the peer RX ring.</summary>
    PipeTx = 1,
    /// <summary>RX ring of a pipe end: rxsync returns slots to the peer TX ring.</summary>
    PipeRx = 2,
    /// <summary>Ring of a null port: syncs do nothing.</summary>
    Null = 3,
}
