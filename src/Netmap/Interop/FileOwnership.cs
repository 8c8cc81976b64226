using System.Text;

namespace Netmap.Interop;

/// <summary>chown(2) for the daemon's socket file.</summary>
internal static unsafe class FileOwnership
{
    /// <summary>Gives <paramref name="path"/> to group <paramref name="gid"/>, keeping its owner (chown path -1 gid).</summary>
    public static void SetGroup(string path, uint gid)
    {
        byte[] p = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* ptr = p)
        {
            if (Libc.chown(ptr, uint.MaxValue, gid) != 0) throw SystemError.Last(path, $"chown to gid {gid}");
        }
    }
}
