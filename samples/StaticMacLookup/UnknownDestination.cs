namespace Netmap.Samples;

/// <summary>What a <see cref="MacTable"/> does with a frame whose destination it does not list (its <c>default</c> line).</summary>
public enum UnknownDestination
{
    /// <summary>Drop it (<c>default drop</c>, the default).</summary>
    Drop,
    /// <summary>Send it to every other port of the switch (<c>default flood</c>).</summary>
    Flood,
}
