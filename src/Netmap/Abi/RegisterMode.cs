using Netmap.Abi;
namespace Netmap;

/// <summary>nmreq_register.nr_mode (NR_REG_*).</summary>
public enum RegisterMode : uint
{
    /// <summary>NR_REG_DEFAULT: legacy, interpreted from nr_ringid.</summary>
    Default = 0,
    /// <summary>NR_REG_ALL_NIC: every hardware ring.</summary>
    AllNic = 1,
    /// <summary>NR_REG_SW: the host (software) rings only.</summary>
    Software = 2,
    /// <summary>NR_REG_NIC_SW: hardware and host rings.</summary>
    NicAndSoftware = 3,
    /// <summary>NR_REG_ONE_NIC: the hardware ring pair nr_ringid.</summary>
    OneNic = 4,
    /// <summary>NR_REG_PIPE_MASTER: deprecated; EINVAL on NIOCCTRL.</summary>
    PipeMaster = 5,
    /// <summary>NR_REG_PIPE_SLAVE: deprecated; EINVAL on NIOCCTRL.</summary>
    PipeSlave = 6,
    /// <summary>NR_REG_NULL: a port with no data path over an existing allocator.</summary>
    Null = 7,
    /// <summary>NR_REG_ONE_SW: the host ring pair nr_ringid.</summary>
    OneSoftware = 8,
}
