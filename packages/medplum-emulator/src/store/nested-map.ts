/** The inner map of `maps` for `key`, created empty on first use (per-type maps of resources, versions, index keys). */
export function mapFor<V>(maps: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let map = maps.get(key);
  if (!map) {
    map = new Map();
    maps.set(key, map);
  }
  return map;
}
