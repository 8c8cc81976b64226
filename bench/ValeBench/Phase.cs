namespace Netmap.Bench.Vale;

/// <summary>The run's clock, set by the main thread and polled by the workers once per batch:
/// <see cref="Warmup"/> -> <see cref="Measure"/> -> <see cref="Stop"/>.</summary>
internal sealed class Phase
{
    public const int Warmup = 0, Measure = 1, Stop = 2;
    private volatile int _value;

    public int Value => _value;
    public void Set(int value) => _value = value;
}
