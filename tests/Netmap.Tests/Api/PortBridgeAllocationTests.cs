using Netmap.Api;

namespace Netmap.Tests.Api;

/// <summary>PortBridge's data path (Forward, and Wait when something is ready) allocates nothing.</summary>
public sealed class PortBridgeAllocationTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ForwardAndWait_AfterWarmUp_AllocateZeroBytes(bool sameRegion)
    {
        using var rig = sameRegion ? PortBridgeRig.Pipes("za", "za") : PortBridgeRig.Pipes("zx", "zy");
        var bridge = new PortBridge(rig.PortA, rig.PortB, burst: 64);
        Assert.Equal(sameRegion, bridge.ZeroCopy);
        var small = PortBridgeRig.Frame(60, 1);
        var large = PortBridgeRig.Frame(5000, 2); // three slots with NS_MOREFRAG

        long Pump(int rounds)
        {
            long seen = 0;
            for (int r = 0; r < rounds; r++)
            {
                for (int i = 0; i < 16; i++) { rig.EndA.Inject(i == 0 ? large : small); rig.EndB.Inject(small); }
                rig.EndA.TxSync();
                rig.EndB.TxSync();
                bridge.Wait(0);
                bridge.Forward();
                rig.EndA.RxSync();
                rig.EndB.RxSync();
                while (rig.EndA.NextPacket(out var f, out _)) seen += f.Length;
                while (rig.EndB.NextPacket(out var f, out _)) seen += f.Length;
            }
            return seen;
        }

        Pump(2000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        long seen = Pump(20_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(seen > 0);
        Assert.True(bridge.AToB > 20_000 * 16 / 2, $"only {bridge.AToB} packets moved");
    }
}
