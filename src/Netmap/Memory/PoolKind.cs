namespace Netmap.Memory;

/// <summary>The three pools of a netmap region, in region order.</summary>
internal enum PoolKind { Interface = 0, Ring = 1, Buffer = 2 }
