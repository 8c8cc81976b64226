using Netmap.Abi;
using Netmap.Api;

namespace Netmap.Tests.Vale;

public class ValeSmokeTests
{
    internal static byte[] Frame(byte dstLast, byte srcLast, int length = 60, byte fill = 0x5a)
    {
        var f = new byte[length];
        Array.Fill(f, fill);
        f[0] = 0x02; f[1] = f[2] = f[3] = f[4] = 0; f[5] = dstLast;
        f[6] = 0x02; f[7] = f[8] = f[9] = f[10] = 0; f[11] = srcLast;
        f[12] = 0x88; f[13] = 0xb5;
        return f;
    }

    internal static List<byte[]> Receive(NetmapPort port, int expected, int timeoutMs = 5000)
    {
        var got = new List<byte[]>();
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (got.Count < expected && DateTime.UtcNow < deadline)
        {
            port.Poll(PollEvents.In, 100);
            while (port.NextPacket(out var f, out _)) got.Add(f.ToArray());
        }
        return got;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Broadcast_ReachesTheOtherPort(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        var frame = Frame(0xff, 1);
        frame[0] = 0xff;
        Assert.True(a.Inject(frame));
        a.TxSync();
        var got = Receive(b, 1);
        Assert.Single(got);
        Assert.Equal(frame, got[0]);
    }
}
