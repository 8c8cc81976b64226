using System.Globalization;

namespace Netmap.Tools.PktGen;

/// <summary>An IPv4 address and UDP port as given to -s / -d ("a.b.c.d[:port]"; the port defaults to 1234).</summary>
/// <param name="Name">The text as given (pkt-gen prints it on the startup line).</param>
/// <param name="Address">The address, host byte order (10.0.0.1 = 0x0a000001).</param>
/// <param name="Port">The UDP port.</param>
public readonly record struct Ipv4Endpoint(string Name, uint Address, ushort Port)
{
    /// <summary>netmap's default port for -s and -d.</summary>
    public const ushort DefaultPort = 1234;

    /// <summary>Parses "a.b.c.d[:port]" (dotted quad, decimal octets; port decimal or 0x-hex like strtol(.., 0)).
    /// Ranges ("a-b", netmap's addr_lo-addr_hi) are rejected: this pkt-gen sends one flow.</summary>
    public static bool TryParse(string text, out Ipv4Endpoint endpoint, out string? error)
    {
        endpoint = default;
        error = null;
        if (text.Contains('-'))
        {
            error = $"address ranges are not supported: '{text}'";
            return false;
        }
        string addrPart = text;
        ushort port = DefaultPort;
        int colon = text.IndexOf(':');
        if (colon >= 0)
        {
            addrPart = text[..colon];
            if (!TryParsePort(text[(colon + 1)..], out port))
            {
                error = $"invalid port in '{text}'";
                return false;
            }
        }
        if (!TryParseAddress(addrPart, out uint addr))
        {
            error = $"invalid IPv4 address '{addrPart}'";
            return false;
        }
        endpoint = new Ipv4Endpoint(text, addr, port);
        return true;
    }

    /// <summary>Strict dotted quad (what inet_pton(AF_INET) accepts).</summary>
    public static bool TryParseAddress(string text, out uint address)
    {
        address = 0;
        var parts = text.Split('.');
        if (parts.Length != 4) return false;
        foreach (var p in parts)
        {
            if (p.Length is 0 or > 3) return false;
            foreach (char c in p) if (!char.IsAsciiDigit(c)) return false;
            int v = int.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture);
            if (v > 255) return false;
            address = (address << 8) | (uint)v;
        }
        return true;
    }

    private static bool TryParsePort(string text, out ushort port)
    {
        port = 0;
        uint v;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            if (!uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v)) return false;
        }
        else if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out v)) return false;
        if (v > ushort.MaxValue) return false;
        port = (ushort)v;
        return true;
    }

    /// <summary>"a.b.c.d".</summary>
    public static string FormatAddress(uint address)
        => $"{address >> 24}.{(address >> 16) & 0xff}.{(address >> 8) & 0xff}.{address & 0xff}";
}
