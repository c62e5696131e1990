export interface Links {
  self: { href: string };
}

/** How one record points at another: `{key, name, _links}`, as AIQUM embeds references. */
export interface Ref {
  key: string;
  name: string;
  _links: Links;
}

/** A record with a key; most also have a name (an Active Directory mapping has none). */
export interface Addressable {
  readonly key: string;
  _links: Links;
}

export interface Keyed extends Addressable {
  // Read-only because the collection indexes records by key and name: a record is renamed by adding its
  // renamed copy under the same key, which keeps the index right.
  readonly name: string;
}

interface Entry<T> {
  record: T;
  /** When the key was first added: a replaced record keeps its place, as in a Map. */
  seq: number;
}

/**
 * Records of one resource type, in insertion order, with their collection path for `_links`. An index by
 * name makes `findByName` (run by every create, to refuse duplicates) independent of the collection's
 * size: a run creating tens of thousands of LUNs must not be quadratic.
 */
export class Collection<T extends Addressable> {
  readonly path: string;
  readonly #records = new Map<string, Entry<T>>();
  /** Name → the entries of that name, in insertion order (by `seq`). */
  readonly #byName = new Map<string, Array<Entry<T>>>();
  #seq = 0;

  constructor(path: string) {
    this.path = path;
  }

  href(key: string): string {
    return `${this.path}/${encodeURIComponent(key)}`;
  }

  links(key: string): Links {
    return { self: { href: this.href(key) } };
  }

  /** Adds a record, or replaces the one with its key (keeping that one's place in the order). */
  add(record: T): T {
    const previous = this.#records.get(record.key);
    if (previous) this.#unindex(previous);
    const entry = { record, seq: previous?.seq ?? this.#seq++ };
    this.#records.set(record.key, entry);
    this.#index(entry);
    return record;
  }

  get(key: string): T | undefined {
    return this.#records.get(key)?.record;
  }

  delete(key: string): boolean {
    const entry = this.#records.get(key);
    if (!entry) return false;
    this.#records.delete(key);
    this.#unindex(entry);
    return true;
  }

  /** The first record (in insertion order) with this name that `where` accepts. */
  findByName(name: string, where: (record: T) => boolean = () => true): T | undefined {
    for (const { record } of this.#byName.get(name) ?? []) if (where(record)) return record;
    return undefined;
  }

  values(): T[] {
    return Array.from(this.#records.values(), (entry) => entry.record);
  }

  #index(entry: Entry<T>): void {
    const name = nameOf(entry.record);
    if (name === undefined) return;
    const bucket = this.#byName.get(name);
    if (!bucket) {
      this.#byName.set(name, [entry]);
      return;
    }
    // Appended, except for a renamed record, which goes back to its place among the records of its new name.
    let at = bucket.length;
    while (at > 0 && (bucket[at - 1]?.seq ?? 0) > entry.seq) at--;
    bucket.splice(at, 0, entry);
  }

  #unindex(entry: Entry<T>): void {
    const name = nameOf(entry.record);
    if (name === undefined) return;
    const bucket = this.#byName.get(name);
    if (!bucket) return;
    const at = bucket.indexOf(entry);
    if (at >= 0) bucket.splice(at, 1);
    if (bucket.length === 0) this.#byName.delete(name);
  }
}

function nameOf(record: Addressable): string | undefined {
  const { name } = record as { name?: unknown };
  return typeof name === 'string' ? name : undefined;
}

export function refOf(record: Keyed): Ref {
  return { key: record.key, name: record.name, _links: record._links };
}
