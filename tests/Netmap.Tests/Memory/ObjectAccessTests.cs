using Netmap.Memory;

namespace Netmap.Tests.Memory;

/// <summary>Owner, group and other bits of an object, as a file's: r = see, w = use; root may do anything.</summary>
public sealed class ObjectAccessTests
{
    private static AccessCaller Caller(uint uid) => new(uid, 0, ObjectAccess.DefaultMode);

    [Theory]
    [InlineData(0x180u, 1000u, true, true)]    // 0600, the owner
    [InlineData(0x180u, 1001u, false, false)]  // 0600, someone else
    [InlineData(0x180u, 0u, true, true)]       // root
    [InlineData(0x1A4u, 1001u, true, false)]   // 0644: others see, do not use
    [InlineData(0x1B6u, 1001u, true, true)]    // 0666
    [InlineData(0x100u, 1000u, true, false)]   // 0400: even the owner may only look
    [InlineData(0x006u, 1000u, false, false)]  // 0006: the owner's own bits decide for the owner, as for files
    public void Bits_DecideForOwnerOthersAndRoot(uint mode, uint uid, bool see, bool use)
    {
        var a = new ObjectAccess(1000, 4242, mode);
        Assert.Equal(see, a.Allows(Caller(uid), AccessRight.See));
        Assert.Equal(use, a.Allows(Caller(uid), AccessRight.Use));
    }

    [Fact]
    public void GroupBits_ApplyToMembersOfTheObjectsGroup()
    {
        // A pid-0 caller's groups are this process's: the object's group is its first (effective) one.
        var me = Caller(1001);
        uint myGroup = me.Groups[0];
        Assert.True(new ObjectAccess(1000, myGroup, 0x1B0).Allows(me, AccessRight.Use));      // 0660
        Assert.False(new ObjectAccess(1000, myGroup + 1, 0x1B0).Allows(me, AccessRight.Use));
        Assert.False(new ObjectAccess(1000, myGroup, 0x180).Allows(me, AccessRight.See));     // 0600
    }

    [Fact]
    public void Demand_NamesTheObjectItsOwnerAndTheMode()
    {
        var e = Assert.Throws<NetmapException>(() => new ObjectAccess(0, 0, 0x180).Demand(Caller(65534), AccessRight.Use, "vale0:p", "vale0:p", "NIOCCTRL REGISTER"));
        Assert.Equal(Netmap.Errno.EACCES, e.Errno);
        Assert.Equal("vale0:p: NIOCCTRL REGISTER: EACCES, vale0:p belongs to uid 0 (mode 0600): uid 65534 may not use it", e.Message);
    }

    [Theory]
    [InlineData("0660", 0x1B0u)]
    [InlineData("660", 0x1B0u)]
    [InlineData("0", 0u)]
    [InlineData("0777", 0x1FFu)]
    [InlineData("0o644", 0x1A4u)]
    [InlineData("0888", null)]
    [InlineData("1777", null)]
    [InlineData("", null)]
    [InlineData("rw", null)]
    public void ParseMode_TakesOctalUpTo0777(string text, uint? mode) => Assert.Equal(mode, ObjectAccess.ParseMode(text));
}
