namespace Netmap;

public readonly partial struct ReceivedBatch
{
    /// <summary>Walks a <see cref="ReceivedBatch"/>'s slots; stack-only, like the spans it yields.</summary>
    public ref struct Enumerator
    {
        private readonly ReceivedBatch _batch;
        private int _index;

        internal Enumerator(ReceivedBatch batch)
        {
            _batch = batch;
            _index = -1;
        }

        /// <summary>The bytes of the current slot.</summary>
        public readonly ReadOnlySpan<byte> Current => _batch[_index];

        /// <summary>Moves to the next slot; false after the last.</summary>
        public bool MoveNext() => ++_index < _batch.Count;
    }
}
