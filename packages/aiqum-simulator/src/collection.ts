export interface Links {
  self: { href: string };
}

/** How one record points at another: `{key, name, _links}`, as AIQUM embeds references. */
export interface Ref {
  key: string;
  name: string;
  _links: Links;
}

export interface Keyed {
  key: string;
  name: string;
  _links: Links;
}

/** Records of one resource type, in insertion order, with their collection path for `_links`. */
export class Collection<T extends Keyed> {
  readonly path: string;
  readonly #records = new Map<string, T>();

  constructor(path: string) {
    this.path = path;
  }

  href(key: string): string {
    return `${this.path}/${encodeURIComponent(key)}`;
  }

  links(key: string): Links {
    return { self: { href: this.href(key) } };
  }

  add(record: T): T {
    this.#records.set(record.key, record);
    return record;
  }

  get(key: string): T | undefined {
    return this.#records.get(key);
  }

  delete(key: string): boolean {
    return this.#records.delete(key);
  }

  /** The first record with this name that `where` accepts. */
  findByName(name: string, where: (record: T) => boolean = () => true): T | undefined {
    for (const record of this.#records.values()) if (record.name === name && where(record)) return record;
    return undefined;
  }

  values(): T[] {
    return [...this.#records.values()];
  }
}

export function refOf(record: Keyed): Ref {
  return { key: record.key, name: record.name, _links: record._links };
}
