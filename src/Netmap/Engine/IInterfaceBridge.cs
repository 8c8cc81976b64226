namespace Netmap.Engine;

/// <summary>
/// A Linux interface attached to a VALE switch (netmap's bwrap): a client of the engine that keeps the interface
/// and its VALE port open and forwards frames between them on its own thread (spin, then sleep on both ports'
/// descriptors; busy-polling on a pinned CPU once VALE_POLLING_ENABLE turned polling on). Disposing stops the
/// thread and closes both ports: the VALE port leaves the switch and the interface returns to the host stack.
/// </summary>
internal interface IInterfaceBridge : IDisposable
{
    /// <summary>True between VALE_POLLING_ENABLE and VALE_POLLING_DISABLE.</summary>
    bool Polling { get; }

    /// <summary>Busy-polls on CPU <paramref name="cpu"/> (no sleeping).</summary>
    void StartPolling(int cpu);

    /// <summary>Back to spin-then-sleep, unpinned.</summary>
    void StopPolling();
}
