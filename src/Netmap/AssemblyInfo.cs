using System.Runtime.Versioning;

// netmap on Linux: memfd, SCM_RIGHTS, AF_XDP, TPACKET_V3, bpf(2). Callers on other platforms get CA1416 at build time.
[assembly: SupportedOSPlatform("linux")]
