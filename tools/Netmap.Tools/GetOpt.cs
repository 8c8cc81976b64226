namespace Netmap.Tools;

/// <summary>
/// getopt(3) as netmap's tools use it, over an option string such as pkt-gen's "46a:f:F:Nn:...": a character
/// followed by ':' takes a value, attached ("-n100") or the next word ("-n 100"); flags group ("-NW"). A
/// character followed by "::" takes an optional value: attached, or the next word when that does not start with
/// '-'. As GNU getopt, operands may come between options (they are returned in order) and "--" makes every
/// following word an operand; "-" alone is an operand; a word starting with "--" is returned whole as a long
/// option. The tool decides what each item means, including which errors end the parse.
/// </summary>
public sealed class GetOpt
{
    private readonly IReadOnlyList<string> _args;
    private readonly string _optString;
    private int _word;      // index of the word being read
    private int _char;      // next character in a group, 0 = start a new word
    private bool _operandsOnly;

    /// <summary>Reads <paramref name="args"/> (without the program name) against <paramref name="optString"/>.</summary>
    public GetOpt(IReadOnlyList<string> args, string optString)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(optString);
        _args = args;
        _optString = optString;
    }

    /// <summary>The next item; false at the end of the command line.</summary>
    public bool Next(out GetOptToken token)
    {
        while (true)
        {
            if (_word >= _args.Count) { token = default; return false; }
            string a = _args[_word];
            if (_char == 0)
            {
                if (_operandsOnly || a.Length < 2 || a[0] != '-')
                {
                    _word++;
                    token = new GetOptToken(GetOptKind.Operand, '\0', a);
                    return true;
                }
                if (a == "--") { _operandsOnly = true; _word++; continue; }
                if (a.StartsWith("--", StringComparison.Ordinal))
                {
                    _word++;
                    token = new GetOptToken(GetOptKind.LongOption, '\0', a);
                    return true;
                }
                _char = 1;
            }
            if (_char >= a.Length) { _word++; _char = 0; continue; }

            char ch = a[_char++];
            int at = ch == ':' ? -1 : _optString.IndexOf(ch);
            if (at < 0)
            {
                token = new GetOptToken(GetOptKind.UnknownOption, ch, null);
                return true;
            }
            bool takesValue = at + 1 < _optString.Length && _optString[at + 1] == ':';
            bool optional = takesValue && at + 2 < _optString.Length && _optString[at + 2] == ':';
            if (!takesValue)
            {
                token = new GetOptToken(GetOptKind.Option, ch, null);
                return true;
            }
            // The rest of this word, if any, is the value.
            string? value = null;
            if (_char < a.Length) value = a[_char..];
            _word++;
            _char = 0;
            if (value is null && _word < _args.Count && (!optional || !_args[_word].StartsWith('-'))) value = _args[_word++];
            token = value is null && !optional
                ? new GetOptToken(GetOptKind.MissingValue, ch, null)
                : new GetOptToken(GetOptKind.Option, ch, value);
            return true;
        }
    }
}
