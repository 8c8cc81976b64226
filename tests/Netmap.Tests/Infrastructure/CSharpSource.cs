using System.Text;

namespace Netmap.Tests.Infrastructure;

/// <summary>
/// Just enough of a C# lexer for the tests that police the sources (the unsafe quarantine, the external-program
/// check): it tells code from comments and string literals (regular, verbatim, interpolated with their holes, raw)
/// and char literals. Not a parser: preprocessor lines and the like are code.
/// </summary>
public static class CSharpSource
{
    /// <summary>The code, with every comment, string literal and char literal blanked out (a space each).</summary>
    public static string StripCommentsAndStrings(string source)
    {
        var sb = new StringBuilder(source.Length);
        foreach (var (isLiteral, text, _) in Segments(source)) sb.Append(isLiteral ? " " : text);
        return sb.ToString();
    }

    /// <summary>Every string literal's text between its quotes (interpolation holes as written), with the code since
    /// the previous literal (comments blanked) and the line it starts on.</summary>
    public static IEnumerable<(string CodeBefore, string Text, int Line)> StringLiterals(string source)
    {
        var code = new StringBuilder();
        foreach (var (isLiteral, text, line) in Segments(source))
        {
            if (!isLiteral) { code.Append(text); continue; }
            if (text.Length > 0 && text[0] == '\'') { code.Append(' '); continue; } // a char literal
            yield return (code.ToString(), text, line);
            code.Clear();
        }
    }

    /// <summary>Code and literal segments in order; a block comment becomes a space, a line comment nothing (its newline stays).
    /// String literal segments hold the text between the quotes; char literals their whole text, quotes included.</summary>
    private static List<(bool IsLiteral, string Text, int Line)> Segments(string s)
    {
        var segments = new List<(bool, string, int)>();
        var code = new StringBuilder();
        int i = 0, line = 1;
        void Flush() { if (code.Length > 0) { segments.Add((false, code.ToString(), line)); code.Clear(); } }
        while (i < s.Length)
        {
            char c = s[i];
            char n = At(s, i + 1);
            if (c == '/' && n == '/') { while (i < s.Length && s[i] != '\n') i++; continue; }
            if (c == '/' && n == '*')
            {
                int e = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                int end = e < 0 ? s.Length : e + 2;
                line += Count(s, i, end);
                i = end;
                code.Append(' ');
                continue;
            }
            if (c == '\'')
            {
                int start = i++;
                while (i < s.Length && s[i] != '\'' && s[i] != '\n') i += s[i] == '\\' ? 2 : 1;
                i = Math.Min(i + 1, s.Length);
                Flush();
                segments.Add((true, s[start..i], line));
                continue;
            }
            if ((c is '"' or '$' or '@') && StringStart(s, i, out int quote))
            {
                Flush();
                int startLine = line;
                int end = SkipString(s, i, quote, out int textStart, out int textEnd);
                line += Count(s, i, end);
                segments.Add((true, s[textStart..textEnd], startLine));
                i = end;
                continue;
            }
            if (c == '\n') line++;
            code.Append(c);
            i++;
        }
        Flush();
        return segments;
    }

    /// <summary>True when a string literal starts at <paramref name="i"/>: a quote, or a prefix of $ and @ right
    /// before one (an @ before an identifier, @class, is not a prefix); <paramref name="quote"/> is the index of the
    /// first quote.</summary>
    private static bool StringStart(string s, int i, out int quote)
    {
        quote = i;
        while (quote < s.Length && s[quote] is '$' or '@') quote++;
        return quote < s.Length && s[quote] == '"';
    }

    /// <summary>Skips the literal whose prefix starts at <paramref name="start"/> and first quote is at
    /// <paramref name="quote"/>; returns the index after it and the bounds of its text.</summary>
    private static int SkipString(string s, int start, int quote, out int textStart, out int textEnd)
    {
        string prefix = s[start..quote];
        bool verbatim = prefix.Contains('@'), interpolated = prefix.Contains('$');
        int quotes = 0;
        while (quote + quotes < s.Length && s[quote + quotes] == '"') quotes++;
        if (quotes >= 3)
        {
            // Raw: ends at the same run of quotes (it cannot contain one).
            string fence = new('"', quotes);
            textStart = quote + quotes;
            int e = s.IndexOf(fence, textStart, StringComparison.Ordinal);
            textEnd = e < 0 ? s.Length : e;
            return e < 0 ? s.Length : e + quotes;
        }
        int i = quote + 1;
        textStart = i;
        while (i < s.Length)
        {
            char c = s[i];
            if (verbatim && c == '"') { if (At(s, i + 1) == '"') { i += 2; continue; } break; }
            if (!verbatim && (c == '"' || c == '\n')) break;
            if (!verbatim && c == '\\') { i += 2; continue; }
            if (interpolated && c == '{')
            {
                if (At(s, i + 1) == '{') { i += 2; continue; }
                i = SkipHole(s, i + 1);
                continue;
            }
            i++;
        }
        textEnd = Math.Min(i, s.Length);
        return Math.Min(i + 1, s.Length);
    }

    /// <summary>Skips an interpolation hole's code (nested literals and braces included) up to and past its '}'.</summary>
    private static int SkipHole(string s, int i)
    {
        int depth = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '}' && depth == 0) return i + 1;
            if (c == '{') depth++;
            else if (c == '}') depth--;
            if (c == '\'')
            {
                i++;
                while (i < s.Length && s[i] != '\'' && s[i] != '\n') i += s[i] == '\\' ? 2 : 1;
                i++;
                continue;
            }
            if ((c is '"' or '$' or '@') && StringStart(s, i, out int quote)) { i = SkipString(s, i, quote, out _, out _); continue; }
            i++;
        }
        return s.Length;
    }

    private static char At(string s, int i) => i < s.Length ? s[i] : '\0';

    private static int Count(string s, int from, int to)
    {
        int lines = 0;
        for (int k = from; k < to && k < s.Length; k++) if (s[k] == '\n') lines++;
        return lines;
    }
}
