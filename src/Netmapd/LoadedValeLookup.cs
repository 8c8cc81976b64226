using Netmap;
using Netmap.Adapters.Vale;

namespace Netmapd;

/// <summary>A --vale-lookup plugin instance, ready to be installed on <see cref="ValeLookupSpec.Switch"/>.</summary>
internal sealed record LoadedValeLookup(ValeLookupSpec Spec, IValeLookup Lookup);
