namespace Netmap.Tools;

/// <summary>How netmap's tools read numbers from their command line (C library conversions).</summary>
public static class CNumbers
{
    /// <summary>C's atoi: optional leading white space and sign, then decimal digits up to the first other
    /// character; 0 when there are none. Wraps like a 32-bit int on overflow.</summary>
    public static int Atoi(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        int i = 0;
        while (i < s.Length && s[i] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r') i++;
        bool negative = false;
        if (i < s.Length && s[i] is '+' or '-') negative = s[i++] == '-';
        long v = 0;
        for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
            v = unchecked(v * 10 + (s[i] - '0'));
        return unchecked((int)(negative ? -v : v));
    }
}
