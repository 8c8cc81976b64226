using Netmap.Adapters.Vale;

namespace Netmap.Tests.Vale;

/// <summary>netmap's learning-table hash (spec 5): the test vectors checked against the original, through both overloads.</summary>
public class ValeHashTests
{
    [Theory]
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 269)]
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 604)]
    [InlineData(new byte[] { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }, 92)]
    [InlineData(new byte[] { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 }, 931)]
    public void Bucket_OfSpan_MatchesNetmap(byte[] mac, int bucket)
    {
        Assert.Equal(bucket, ValeHash.Bucket(mac));
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 269)]
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 604)]
    [InlineData(new byte[] { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }, 92)]
    [InlineData(new byte[] { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 }, 931)]
    public void Bucket_OfLittleEndianWord_MatchesNetmap(byte[] mac, int bucket)
    {
        ulong word = 0;
        for (int i = 5; i >= 0; i--) word = word << 8 | mac[i];
        Assert.Equal(bucket, ValeHash.Bucket(word));
        // Bits above the address (the next bytes of an unaligned 64-bit load) do not count.
        Assert.Equal(bucket, ValeHash.Bucket(word | 0xabcd_0000_0000_0000UL));
    }

    [Fact]
    public void Bucket_OfSpan_UsesTheFirstSixBytesOnly()
    {
        Assert.Equal(931, ValeHash.Bucket(new byte[] { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 }));
        Assert.Throws<ArgumentException>(() => ValeHash.Bucket(new byte[5]));
    }

    [Fact]
    public void Bucket_SpreadsAddressesOverAllBuckets()
    {
        var seen = new bool[1024];
        for (uint i = 0; i < 16384; i++) seen[ValeHash.Bucket(0x0000_0000_0002UL | (ulong)i << 24)] = true;
        Assert.True(seen.Count(b => b) > 1000, $"{seen.Count(b => b)} buckets used");
    }
}
