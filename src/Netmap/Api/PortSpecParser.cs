using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Netmap.Abi;
using Netmap.Api;

namespace Netmap;

/// <summary>
/// Parses libnetmap port specs (nmport_parse: header, register and options decode) into <see cref="PortSpec"/>.
/// </summary>
/// <remarks>
/// <code>
/// Grammar (ABNF-like; literals are case-sensitive; "A | B" alternatives, "[x]" optional, "*x" zero or more)
///
///   spec      = prefix ":" vpname [mode] *option
///   prefix    = "netmap"                 ; stripped: nr_name starts after "netmap:"
///             | "vale" *swchar           ; kept: nr_name is "valeX:" + vpname
///   vpname    = port [pipe]              ; ends before the first of - * ^ / @ (or at the end)
///   port      = 1*idchar                 ; VALE: at most 15 characters
///   pipe      = ("{" | "}") 1*idchar     ; '{' master end, '}' slave end; so "x{1}2" is invalid
///   swchar    = ALPHA | DIGIT | "_"
///   idchar    = ALPHA | DIGIT | "_" | "."
///
///   mode      = [ring] *suffix           ; defaults: NR_REG_ALL_NIC, ringid 0, flags 0, mem_id 0
///   ring      = "^"                      ; NR_REG_SW
///             | "^" num                  ; NR_REG_ONE_SW, ringid num
///             | "*"                      ; NR_REG_NIC_SW
///             | "-" num                  ; NR_REG_ONE_NIC, ringid num
///   num       = 1*DIGIT                  ; 0 &lt;= num &lt; 4095 (NETMAP_RING_MASK)
///   suffix    = "/" 1*flag               ; flags are OR-ed
///             | "@" memid                ; memid = 1*DIGIT, 1..65535; a repeat must give the same value
///   flag      = "x"                      ; NR_EXCLUSIVE
///             | "z"                      ; NR_ZCOPY_MON
///             | "t"                      ; NR_MONITOR_TX
///             | "r"                      ; NR_MONITOR_RX
///             | "R"                      ; NR_RX_RINGS_ONLY
///             | "T"                      ; NR_TX_RINGS_ONLY
///
///   option    = "@" optname body         ; an "@" followed by a non-digit ends the mode
///   body      = "=" value                ; the option's default key gets everything up to the next "@"
///             | ":" pair *("," pair)     ; pairs; a key's "-" is read as "_"; each key at most once
///   pair      = key "=" value            ; value = 1*(any char except "," and "@")
///
///   options and keys (each option at most once per spec; "*" = mandatory, "(d)" = default key):
///     share   port (d*)                  ; spec of an existing port whose mem_id to use
///     conf    rings host_rings slots tx_rings rx_rings host_tx_rings host_rx_rings tx_slots rx_slots
///                                        ; decimal; rings 0..65535, slots 0..2^32-1; specific keys
///                                        ; (tx_rings ...) override generic ones (rings ...)
///             backend mode               ; our extensions: backend auto|xdp|afpacket; mode = octal 0..0777,
///                                        ; the owner/group/other bits of what the open creates
///     extmem  file (d*) if_num if_size ring_num ring_size buf_num buf_size   ; numbers 0..2^32-1
///     offset  initial (d*) bits          ; disabled unless enabled by the caller (else EOPNOTSUPP)
/// </code>
/// Where this is stricter than libnetmap (on purpose): the port and pipe parts must be [A-Za-z0-9_.] and
/// non-empty (libnetmap HEAD accepts "netmap:eth0&amp;" and "netmap:vale0:0"); the VALE switch/port length
/// limits of the kernel are checked here; an empty flag list ("/" alone, "/@2") is rejected; a key with an
/// empty value ("rings=") is rejected instead of ignored; an option may not be repeated.
/// Errors: every failure is EINVAL except a disabled option (EOPNOTSUPP). Messages read
/// "SPEC: parse: ERRNO, cause", e.g. <c>netmap:eth0-: parse: EINVAL, missing ring number after '-'</c>.
/// All members are pure and thread-safe: parsing allocates a new <see cref="PortSpec"/> or nothing.
/// </remarks>
public static class PortSpecParser
{
    /// <summary>The prefix that tools put in front of a bare interface name.</summary>
    public const string NetmapPrefix = "netmap:";

    private const string NetmapWord = "netmap";
    private const string ValeWord = NetmapConstants.BridgeNamePrefix; // "vale"

    /// <summary>nr_name is char[64] with a terminating NUL: at most 63 characters.</summary>
    private const int MaxNameLength = NetmapConstants.RequestIfNameSize - 1;

    /// <summary>The kernel looks for a VALE ':' in the first IFNAMSIZ (16) characters only.</summary>
    private const int ValeColonLimit = NetmapConstants.InterfaceNameSize;

    /// <summary>A VALE port name must fit an ifnet name: IFNAMSIZ - 1 = 15 characters.</summary>
    private const int MaxValePortLength = NetmapConstants.InterfaceNameSize - 1;

    /// <summary>Ring numbers must be below NETMAP_RING_MASK (0x0fff = 4095).</summary>
    private const int RingIdLimit = NetmapConstants.RingMask;

    private const string ModeChars = "-*^/@";
    private const string FlagLetters = "x, z, t, r, R or T";
    private const string KnownOptions = "share, conf, extmem, offset";

    private static readonly string[] ShareKeys = ["port"];
    private static readonly string[] ConfKeys =
        ["rings", "host_rings", "slots", "tx_rings", "rx_rings", "host_tx_rings", "host_rx_rings", "tx_slots", "rx_slots", "backend", "mode"];
    private static readonly string[] ExtMemKeys = ["file", "if_num", "if_size", "ring_num", "ring_size", "buf_num", "buf_size"];
    private static readonly string[] OffsetKeys = ["initial", "bits"];

    /// <summary>Parses <paramref name="spec"/> with the <c>offset</c> option disabled.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="spec"/> is null.</exception>
    /// <exception cref="NetmapException">The spec is invalid (EINVAL) or uses <c>@offset</c> (EOPNOTSUPP).</exception>
    public static PortSpec Parse(string spec) => Parse(spec, enableOffset: false);

    /// <summary>Parses <paramref name="spec"/>; <paramref name="enableOffset"/> accepts <c>@offset</c>
    /// (libnetmap's nmport_enable_option("offset")).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="spec"/> is null.</exception>
    /// <exception cref="NetmapException">The spec is invalid (EINVAL) or uses a disabled option (EOPNOTSUPP).</exception>
    public static PortSpec Parse(string spec, bool enableOffset)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!TryParse(spec, enableOffset, out PortSpec? result, out NetmapException? error))
            throw error;
        return result;
    }

    /// <summary>Parses <paramref name="spec"/> with the <c>offset</c> option disabled, without throwing.</summary>
    /// <returns>True and a result with a null error; or false, a null result and the error Parse would throw
    /// (a null spec gives EINVAL).</returns>
    public static bool TryParse(
        [NotNullWhen(true)] string? spec,
        [NotNullWhen(true)] out PortSpec? result,
        [NotNullWhen(false)] out NetmapException? error)
        => TryParse(spec, enableOffset: false, out result, out error);

    /// <summary>Parses <paramref name="spec"/> without throwing; see <see cref="Parse(string, bool)"/>.</summary>
    /// <returns>True and a result with a null error; or false, a null result and the error Parse would throw
    /// (a null spec gives EINVAL).</returns>
    public static bool TryParse(
        [NotNullWhen(true)] string? spec,
        bool enableOffset,
        [NotNullWhen(true)] out PortSpec? result,
        [NotNullWhen(false)] out NetmapException? error)
    {
        if (spec is null)
        {
            result = null;
            error = NetmapException.Create("(null)", "parse", Errno.EINVAL, "missing port spec");
            return false;
        }
        if (ParseSpec(spec, enableOffset, out PortSpec? parsed) is { } failure)
        {
            result = null;
            error = NetmapException.Create(spec, "parse", failure.Errno, failure.Detail);
            return false;
        }
        result = parsed!;
        error = null;
        return true;
    }

    /// <summary>
    /// What the tools (pkt-gen, bridge) do with a user-supplied port: a name that does not start with
    /// <c>netmap:</c> or <c>vale</c> gets <c>netmap:</c> prepended (<c>eth0</c> → <c>netmap:eth0</c>);
    /// anything else is returned unchanged. No validation: pass the result to <see cref="Parse(string)"/>.
    /// Only netmap:/vale ports are supported, so pkt-gen's "tap:"/"pcap:" special cases do not exist here.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="userName"/> is null.</exception>
    public static string Normalize(string userName)
    {
        ArgumentNullException.ThrowIfNull(userName);
        return userName.StartsWith(NetmapPrefix, StringComparison.Ordinal)
            || userName.StartsWith(ValeWord, StringComparison.Ordinal)
            ? userName
            : NetmapPrefix + userName;
    }

    /// <summary>Octal mode bits as <c>@conf:mode=</c> takes them ("0660", "660"; 0..0777), or null when
    /// <paramref name="text"/> is not one (what vale-ctl -M and netmapd --default-mode accept too).</summary>
    public static uint? ParseMode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Memory.ObjectAccess.ParseMode(text);
    }

    /// <summary>One parse failure: the errno and the cause (without the "spec: parse:" head).</summary>
    private readonly record struct Failure(Errno Errno, string Detail);

    private static Failure Invalid(string detail) => new(Errno.EINVAL, detail);

    private static Failure? ParseSpec(string spec, bool enableOffset, out PortSpec? result)
    {
        result = null;
        if (ParseHeader(spec, out Header header) is { } headerFailure)
            return headerFailure;

        int pos = header.ModeStart;
        if (ParseMode(spec, ref pos, out RegisterMode mode, out ushort ringId, out RegisterFlags flags, out ushort memId)
            is { } modeFailure)
            return modeFailure;

        var options = new OptionValues();
        if (ParseOptions(spec, pos, enableOffset, options) is { } optionFailure)
            return optionFailure;

        result = new PortSpec(spec, header.Name)
        {
            IsVale = header.IsVale,
            SwitchName = header.SwitchName,
            PortName = header.PortName,
            Mode = mode,
            RingId = ringId,
            Flags = flags,
            MemId = memId,
            PipeRole = header.PipeRole,
            PipeParent = header.PipeParent,
            PipeId = header.PipeId,
            ShareWith = options.ShareWith,
            Conf = options.Conf ?? PortConfig.Empty,
            ExtMem = options.ExtMem,
            Offset = options.Offset,
        };
        return null;
    }

    // ---------------------------------------------------------------- header: prefix ":" vpname

    private readonly record struct Header(
        string Name, int ModeStart, bool IsVale, string? SwitchName, string PortName,
        char PipeRole, string? PipeParent, string? PipeId);

    private static Failure? ParseHeader(string spec, out Header header)
    {
        header = default;
        bool isVale;
        int colon;
        if (spec.StartsWith(NetmapWord, StringComparison.Ordinal))
        {
            isVale = false;
            colon = spec.IndexOf(':', NetmapWord.Length);
            if (colon < 0)
                return Invalid($"missing ':' after '{NetmapWord}'");
            if (colon != NetmapWord.Length)
                return Invalid($"prefix unknown: '{spec[..colon]}' (no identifier allowed between '{NetmapWord}' and ':')");
        }
        else if (spec.StartsWith(ValeWord, StringComparison.Ordinal))
        {
            isVale = true;
            int i = ValeWord.Length;
            while (i < spec.Length && IsSwitchChar(spec[i]))
                i++;
            if (i == spec.Length || (spec[i] != ':' && spec.IndexOf(':', i) < 0))
                return Invalid($"missing ':' after VALE switch name '{spec[..i]}' (expected 'valeX:PORT')");
            if (spec[i] != ':')
                return Invalid($"invalid character '{spec[i]}' in VALE switch name '{spec[..spec.IndexOf(':', i)]}' (allowed: [A-Za-z0-9_])");
            colon = i;
            if (colon >= ValeColonLimit)
                return Invalid($"VALE switch name '{spec[..colon]}' too long (the ':' must be within the first {ValeColonLimit} characters)");
        }
        else
        {
            return Invalid($"prefix unknown or missing (expected '{NetmapPrefix}' or '{ValeWord}X:')");
        }

        int vpStart = colon + 1;
        int modeOffset = spec.AsSpan(vpStart).IndexOfAny(ModeChars);
        int modeStart = modeOffset < 0 ? spec.Length : vpStart + modeOffset;
        ReadOnlySpan<char> vpname = spec.AsSpan(vpStart, modeStart - vpStart);
        string what = isVale ? "VALE port name" : "port name";

        int pipeAt = vpname.IndexOfAny('{', '}');
        ReadOnlySpan<char> port = pipeAt < 0 ? vpname : vpname[..pipeAt];
        if (port.IsEmpty)
        {
            return pipeAt < 0
                ? Invalid($"empty {what}")
                : Invalid($"empty {what} before '{vpname[pipeAt]}'");
        }
        if (FirstNonIdentifier(port) is int bad and >= 0)
            return Invalid($"invalid character '{port[bad]}' in {what} '{port}' (allowed: [A-Za-z0-9_.])");
        if (isVale && port.Length > MaxValePortLength)
            return Invalid($"VALE port name '{port}' too long ({port.Length} characters, limit {MaxValePortLength})");

        char pipeRole = '\0';
        string? pipeId = null;
        if (pipeAt >= 0)
        {
            pipeRole = vpname[pipeAt];
            ReadOnlySpan<char> id = vpname[(pipeAt + 1)..];
            if (id.IsEmpty)
                return Invalid($"missing pipe identifier after '{pipeRole}'");
            if (FirstNonIdentifier(id) is int badId and >= 0)
                return Invalid($"invalid character '{id[badId]}' in pipe identifier '{id}' (allowed: [A-Za-z0-9_.])");
            pipeId = id.ToString();
        }

        int nameStart = isVale ? 0 : vpStart;
        int nameLength = modeStart - nameStart;
        string name = spec.Substring(nameStart, nameLength);
        if (nameLength > MaxNameLength)
            return Invalid($"name '{name}' too long ({nameLength} characters, nr_name holds at most {MaxNameLength})");

        header = new Header(
            Name: name,
            ModeStart: modeStart,
            IsVale: isVale,
            SwitchName: isVale ? spec[..colon] : null,
            PortName: port.ToString(),
            PipeRole: pipeRole,
            PipeParent: pipeAt < 0 ? null : name[..(name.Length - vpname.Length + pipeAt)],
            PipeId: pipeId);
        return null;
    }

    // ---------------------------------------------------------------- mode: [ring] *("/" flags | "@" memid)

    private enum ModeState
    {
        /// <summary>Nothing read yet: a ring selector, '/' or '@' may follow.</summary>
        Start,
        /// <summary>After a ring selector or a memid: '/' or '@' may follow.</summary>
        SuffixOk,
        /// <summary>Right after '/': a flag letter must follow.</summary>
        Flags,
        /// <summary>After at least one flag letter: more letters or '@' may follow.</summary>
        FlagsOk,
    }

    private static Failure? ParseMode(
        string spec, ref int pos, out RegisterMode mode, out ushort ringId, out RegisterFlags flags, out ushort memId)
    {
        mode = RegisterMode.AllNic;
        ringId = 0;
        flags = RegisterFlags.None;
        memId = 0;
        bool ringGiven = false;
        var state = ModeState.Start;

        while (pos < spec.Length)
        {
            char c = spec[pos];
            if (c == '@')
            {
                if (pos + 1 == spec.Length)
                    return Invalid("missing memory id or option name after '@'");
                if (!char.IsAsciiDigit(spec[pos + 1]))
                    break; // '@' + non-digit: the options start here, on the '@'
                if (state == ModeState.Flags)
                    return Invalid("missing flag letters after '/'");
                pos++;
                ReadOnlySpan<char> digits = ReadDigits(spec, ref pos);
                if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong id) || id > ushort.MaxValue)
                    return Invalid($"memory id {digits} out of range [1, {ushort.MaxValue}]");
                if (id == 0)
                    return Invalid("memory id must be > 0 ('@0')");
                if (memId != 0 && memId != id)
                    return Invalid($"memory id @{id} conflicts with the earlier @{memId}");
                memId = (ushort)id;
                state = ModeState.SuffixOk;
                continue;
            }

            switch (state)
            {
                case ModeState.Start:
                    pos++;
                    switch (c)
                    {
                        case '^':
                            ringGiven = true;
                            if (pos < spec.Length && char.IsAsciiDigit(spec[pos]))
                            {
                                mode = RegisterMode.OneSoftware;
                                if (ReadRingId(spec, ref pos, out ringId) is { } swFailure)
                                    return swFailure;
                            }
                            else
                            {
                                mode = RegisterMode.Software;
                            }
                            state = ModeState.SuffixOk;
                            break;
                        case '*':
                            ringGiven = true;
                            mode = RegisterMode.NicAndSoftware;
                            state = ModeState.SuffixOk;
                            break;
                        case '-':
                            ringGiven = true;
                            if (pos == spec.Length || !char.IsAsciiDigit(spec[pos]))
                                return Invalid("missing ring number after '-'");
                            mode = RegisterMode.OneNic;
                            if (ReadRingId(spec, ref pos, out ringId) is { } nicFailure)
                                return nicFailure;
                            state = ModeState.SuffixOk;
                            break;
                        case '/':
                            state = ModeState.Flags;
                            break;
                        default:
                            // Unreachable: the header stops the name at one of ModeChars.
                            return Invalid($"unexpected character '{c}'");
                    }
                    break;

                case ModeState.SuffixOk:
                    if (c == '/')
                    {
                        pos++;
                        state = ModeState.Flags;
                        break;
                    }
                    return MisplacedInMode(c, ringGiven, Invalid($"unexpected character '{c}' (expected '/' or '@')"));

                case ModeState.Flags:
                case ModeState.FlagsOk:
                    RegisterFlags flag = c switch
                    {
                        'x' => RegisterFlags.Exclusive,
                        'z' => RegisterFlags.ZeroCopyMonitor,
                        't' => RegisterFlags.MonitorTx,
                        'r' => RegisterFlags.MonitorRx,
                        'R' => RegisterFlags.RxRingsOnly,
                        'T' => RegisterFlags.TxRingsOnly,
                        _ => RegisterFlags.None,
                    };
                    if (flag == RegisterFlags.None)
                    {
                        if (c == '/')
                            return Invalid("'/' given twice: put all flag letters after one '/'");
                        return MisplacedInMode(c, ringGiven, Invalid($"unknown flag '{c}' (expected {FlagLetters})"));
                    }
                    flags |= flag;
                    pos++;
                    state = ModeState.FlagsOk;
                    break;
            }
        }

        if (state == ModeState.Flags)
            return Invalid("missing flag letters after '/'");
        return null;
    }

    /// <summary>The error for a character that is valid somewhere in a mode but not here.</summary>
    private static Failure MisplacedInMode(char c, bool ringGiven, Failure otherwise) => c switch
    {
        '^' or '*' or '-' when ringGiven => Invalid($"ring selector '{c}' after another one (give one of '^', '^N', '*', '-N')"),
        '^' or '*' or '-' => Invalid($"ring selector '{c}' must come before '/flags' and '@N'"),
        _ => otherwise,
    };

    private static Failure? ReadRingId(string spec, ref int pos, out ushort ringId)
    {
        ringId = 0;
        ReadOnlySpan<char> digits = ReadDigits(spec, ref pos);
        if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) || n >= RingIdLimit)
            return Invalid($"ring number {digits} out of range [0, {RingIdLimit})");
        ringId = (ushort)n;
        return null;
    }

    private static ReadOnlySpan<char> ReadDigits(string spec, ref int pos)
    {
        int start = pos;
        while (pos < spec.Length && char.IsAsciiDigit(spec[pos]))
            pos++;
        return spec.AsSpan(start, pos - start);
    }

    // ---------------------------------------------------------------- options: *("@" name body)

    /// <summary>The option results collected while parsing (each option is set at most once).</summary>
    private sealed class OptionValues
    {
        public string? ShareWith;
        public PortConfig? Conf;
        public PortSpec.ExtMemOption? ExtMem;
        public PortSpec.OffsetOption? Offset;
    }

    private static Failure? ParseOptions(string spec, int pos, bool enableOffset, OptionValues values)
    {
        while (pos < spec.Length)
        {
            // Invariant: spec[pos] == '@' (the mode stops only there or at the end).
            int start = pos + 1;
            int end = spec.IndexOf('@', start);
            if (end < 0)
                end = spec.Length;
            if (end == start)
                return Invalid(end == spec.Length ? "missing option name after '@'" : "empty option '@@'");
            if (ParseOption(spec.Substring(start, end - start), enableOffset, values) is { } failure)
                return failure;
            pos = end;
        }
        return null;
    }

    private static Failure? ParseOption(string option, bool enableOffset, OptionValues values)
    {
        int delim = option.AsSpan().IndexOfAny(':', '=');
        string name = delim < 0 ? option : option[..delim];
        if (name.Length == 0)
            return Invalid($"missing option name in '@{option}'");

        string[] keys;
        bool seen;
        switch (name)
        {
            case "share": keys = ShareKeys; seen = values.ShareWith is not null; break;
            case "conf": keys = ConfKeys; seen = values.Conf is not null; break;
            case "extmem": keys = ExtMemKeys; seen = values.ExtMem is not null; break;
            case "offset":
                if (!enableOffset)
                    return new Failure(Errno.EOPNOTSUPP, "option 'offset' is disabled (not enabled by the caller)");
                keys = OffsetKeys;
                seen = values.Offset is not null;
                break;
            default:
                return Invalid($"unknown option '{name}' (known: {KnownOptions})");
        }
        if (seen)
            return Invalid($"option '{name}' given twice");

        // keys[0] is the default key of every option except conf, which has none.
        bool hasDefaultKey = name != "conf";
        var given = new string?[keys.Length];
        if (delim < 0)
        {
            return Invalid(hasDefaultKey
                ? $"missing value for option '{name}' (expected '@{name}={keys[0].ToUpperInvariant()}' or '@{name}:key=value,...')"
                : $"missing body for option '{name}' (expected '@{name}:key=value,...')");
        }
        if (option[delim] == '=')
        {
            if (!hasDefaultKey)
                return Invalid($"option '{name}' has no default key: use '@{name}:key=value,...'");
            string value = option[(delim + 1)..];
            if (value.Length == 0)
                return Invalid($"missing value after '@{name}='");
            given[0] = value;
        }
        else if (ParseKeys(name, option[(delim + 1)..], keys, given) is { } keyFailure)
        {
            return keyFailure;
        }

        if (hasDefaultKey && given[0] is null)
            return Invalid($"option '{name}': mandatory key '{keys[0]}' not given");

        return name switch
        {
            "share" => ApplyShare(given[0]!, enableOffset, values),
            "conf" => ApplyConf(given, values),
            "extmem" => ApplyExtMem(given, values),
            _ => ApplyOffset(given, values),
        };
    }

    /// <summary>Parses "k1=v1,k2=v2" into <paramref name="given"/> (indexed like <paramref name="keys"/>).</summary>
    private static Failure? ParseKeys(string name, string body, string[] keys, string?[] given)
    {
        int pos = 0;
        while (true)
        {
            int comma = body.IndexOf(',', pos);
            int end = comma < 0 ? body.Length : comma;
            string pair = body[pos..end];
            int eq = pair.IndexOf('=');
            string key = (eq < 0 ? pair : pair[..eq]).Replace('-', '_');
            if (key.Length == 0)
                return Invalid($"option '{name}': empty key");
            int index = Array.IndexOf(keys, key);
            if (index < 0)
                return Invalid($"option '{name}': unknown key '{key}' (known: {string.Join(", ", keys)})");
            if (given[index] is not null)
                return Invalid($"option '{name}': duplicate key '{key}', already set to '{given[index]}'");
            if (eq < 0)
                return Invalid($"option '{name}': missing '=value' for key '{key}'");
            string value = pair[(eq + 1)..];
            if (value.Length == 0)
                return Invalid($"option '{name}': empty value for key '{key}'");
            given[index] = value;
            if (comma < 0)
                return null;
            pos = comma + 1;
        }
    }

    private static Failure? ApplyShare(string port, bool enableOffset, OptionValues values)
    {
        // The value cannot contain '@' (it ends the option), so this checks name and mode only.
        if (ParseSpec(port, enableOffset, out _) is { } inner)
            return Invalid($"option 'share': invalid port '{port}': {inner.Detail}");
        values.ShareWith = port;
        return null;
    }

    private static Failure? ApplyConf(string?[] given, OptionValues values)
    {
        var parsed = new uint?[given.Length];
        int backendKey = ConfKeys.Length - 2, modeKey = ConfKeys.Length - 1;
        uint? mode = null;
        if (given[modeKey] is { } modeText && (mode = Memory.ObjectAccess.ParseMode(modeText)) is null)
            return Invalid($"option 'conf': key 'mode' must be octal mode bits 0..0777 (e.g. 0660), not '{modeText}'");
        NicBackendKind? backend = given[backendKey] switch
        {
            null => null,
            "auto" => NicBackendKind.Auto,
            "xdp" or "af_xdp" => NicBackendKind.Xdp,
            "afpacket" or "af_packet" => NicBackendKind.Packet,
            _ => (NicBackendKind)(-1),
        };
        if ((int?)backend == -1)
            return Invalid($"option 'conf': key 'backend' must be auto, xdp or afpacket, not '{given[backendKey]}'");
        for (int i = 0; i < backendKey; i++)
        {
            bool isRings = ConfKeys[i].EndsWith("rings", StringComparison.Ordinal);
            if (ParseNumber("conf", ConfKeys[i], given[i], isRings ? ushort.MaxValue : uint.MaxValue, out ulong? n) is { } failure)
                return failure;
            parsed[i] = (uint?)n;
        }
        values.Conf = new PortConfig
        {
            Rings = parsed[0],
            HostRings = parsed[1],
            Slots = parsed[2],
            TxRings = parsed[3],
            RxRings = parsed[4],
            HostTxRings = parsed[5],
            HostRxRings = parsed[6],
            TxSlots = parsed[7],
            RxSlots = parsed[8],
            Backend = backend,
            Mode = mode,
        };
        return null;
    }

    private static Failure? ApplyExtMem(string?[] given, OptionValues values)
    {
        var parsed = new uint?[given.Length];
        for (int i = 1; i < given.Length; i++)
        {
            if (ParseNumber("extmem", ExtMemKeys[i], given[i], uint.MaxValue, out ulong? n) is { } failure)
                return failure;
            parsed[i] = (uint?)n;
        }
        values.ExtMem = new PortSpec.ExtMemOption(
            File: given[0]!, IfNum: parsed[1], IfSize: parsed[2], RingNum: parsed[3], RingSize: parsed[4],
            BufNum: parsed[5], BufSize: parsed[6]);
        return null;
    }

    private static Failure? ApplyOffset(string?[] given, OptionValues values)
    {
        if (ParseNumber("offset", "initial", given[0], ulong.MaxValue, out ulong? initial) is { } initialFailure)
            return initialFailure;
        if (ParseNumber("offset", "bits", given[1], uint.MaxValue, out ulong? bits) is { } bitsFailure)
            return bitsFailure;
        values.Offset = new PortSpec.OffsetOption(initial!.Value, (uint?)bits);
        return null;
    }

    /// <summary>Decimal digits only (no sign, no spaces), at most <paramref name="max"/>; null stays null.</summary>
    private static Failure? ParseNumber(string option, string key, string? text, ulong max, out ulong? value)
    {
        value = null;
        if (text is null)
            return null;
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
                return Invalid($"option '{option}': value '{text}' of key '{key}' is not a decimal number");
        }
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) || n > max)
            return Invalid($"option '{option}': value {text} of key '{key}' out of range [0, {max}]");
        value = n;
        return null;
    }

    // ---------------------------------------------------------------- character classes

    private static bool IsSwitchChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '.';

    /// <summary>Index of the first character outside [A-Za-z0-9_.], or -1.</summary>
    private static int FirstNonIdentifier(ReadOnlySpan<char> s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (!IsIdentifierChar(s[i]))
                return i;
        }
        return -1;
    }
}
