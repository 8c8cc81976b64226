using Netmap.Tools;

namespace Netmap.Tests.Tools;

public class GetOptTests
{
    private static List<(GetOptKind Kind, char Option, string? Value)> All(string optString, params string[] args)
    {
        var g = new GetOpt(args, optString);
        var list = new List<(GetOptKind, char, string?)>();
        while (g.Next(out var t)) list.Add((t.Kind, t.Option, t.Value));
        return list;
    }

    [Fact]
    public void GroupedFlags_AttachedAndSeparateValues()
    {
        Assert.Equal(
            [(GetOptKind.Option, 'N', null), (GetOptKind.Option, 'W', null), (GetOptKind.Option, 'n', "100"),
             (GetOptKind.Option, 'i', "netmap:p{1"), (GetOptKind.Option, 'v', null), (GetOptKind.Option, 'b', "64")],
            All("Nn:i:Wvb:", "-NW", "-n100", "-i", "netmap:p{1", "-vb64"));
    }

    [Fact]
    public void Value_MayStartWithADash_AndTheRestOfAGroupIsTheValue()
    {
        Assert.Equal([(GetOptKind.Option, 's', "-x"), (GetOptKind.Option, 'v', null), (GetOptKind.Option, 'n', "vx")],
            All("s:vn:", "-s", "-x", "-vnvx"));
    }

    [Fact]
    public void Operands_ComeInOrder_BetweenOptions_AndEverythingAfterDoubleDash()
    {
        Assert.Equal(
            [(GetOptKind.Operand, '\0', "a{1"), (GetOptKind.Option, 'c', null), (GetOptKind.Operand, '\0', "-"),
             (GetOptKind.Operand, '\0', "-v"), (GetOptKind.Operand, '\0', "b")],
            All("cv", "a{1", "-c", "-", "--", "-v", "b"));
    }

    [Fact]
    public void LongOptions_AreReturnedWhole()
    {
        Assert.Equal([(GetOptKind.LongOption, '\0', "--busy"), (GetOptKind.Option, 'v', null)], All("v", "--busy", "-v"));
    }

    [Fact]
    public void UnknownOption_AndColon_AreReported_ThenParsingGoesOn()
    {
        Assert.Equal([(GetOptKind.UnknownOption, 'x', null), (GetOptKind.UnknownOption, ':', null), (GetOptKind.Option, 'v', null)],
            All("a:v", "-x:v"));
    }

    [Fact]
    public void MissingValue_IsReported_WithGetoptsMessage()
    {
        var g = new GetOpt(["-v", "-n"], "vn:");
        Assert.True(g.Next(out _));
        Assert.True(g.Next(out var t));
        Assert.Equal(GetOptKind.MissingValue, t.Kind);
        Assert.Equal("option requires an argument -- 'n'", t.MissingValueMessage);
        Assert.False(g.Next(out _));
    }

    [Fact]
    public void OptionalValue_IsAttached_OrTheNextWordUnlessItIsAnOption()
    {
        Assert.Equal([(GetOptKind.Option, 'S', "vale0:a")], All("vS::", "-Svale0:a"));
        Assert.Equal([(GetOptKind.Option, 'S', "vale0:a")], All("vS::", "-S", "vale0:a"));
        Assert.Equal([(GetOptKind.Option, 'S', null), (GetOptKind.Option, 'v', null)], All("vS::", "-S", "-v"));
        Assert.Equal([(GetOptKind.Option, 'S', null)], All("vS::", "-S"));
    }

    [Fact]
    public void Atoi_IsC()
    {
        Assert.Equal(42, CNumbers.Atoi("  42abc"));
        Assert.Equal(-7, CNumbers.Atoi("-7"));
        Assert.Equal(0, CNumbers.Atoi("x1"));
        Assert.Equal(0, CNumbers.Atoi(""));
    }
}
