namespace Netmap.Tests.Nic.Packet;

/// <summary>
/// tcx links held by this process, read from /proc/self/fdinfo (a bpf_link descriptor shows link_type, and for tcx
/// the ifindex). A tcx link lives exactly as long as some descriptor of it, and only this process made ours.
/// </summary>
internal static class TcxLinks
{
    public static int CountOwnOn(int ifIndex)
    {
        int n = 0;
        foreach (var path in Directory.EnumerateFiles("/proc/self/fdinfo"))
        {
            string text;
            try { text = File.ReadAllText(path); }
            catch (IOException) { continue; }       // closed meanwhile
            catch (UnauthorizedAccessException) { continue; }
            if (text.Contains("link_type:\ttcx", StringComparison.Ordinal) && text.Contains($"ifindex:\t{ifIndex}\n", StringComparison.Ordinal)) n++;
        }
        return n;
    }
}
