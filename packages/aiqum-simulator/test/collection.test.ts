import { describe, expect, it } from 'vitest';
import { Collection, type Keyed } from '../src/collection.js';
import { createRandom } from '../src/random.js';

interface Item extends Keyed {
  svm: string;
}

function item(collection: Collection<Item>, key: string, name: string, svm = 'vs1'): Item {
  return { key, name, svm, _links: collection.links(key) };
}

/** What `findByName` answered before it had an index: the first match in insertion order. */
function scan(collection: Collection<Item>, name: string, where: (record: Item) => boolean) {
  return collection.values().find((record) => record.name === name && where(record));
}

describe('Collection name index', () => {
  it('finds the first record of a name in insertion order, within `where`', () => {
    const luns = new Collection<Item>('/api/luns');
    luns.add(item(luns, 'a', 'lun_a'));
    luns.add(item(luns, 'b', 'lun_x', 'vs1'));
    luns.add(item(luns, 'c', 'lun_x', 'vs2'));
    expect(luns.findByName('lun_x')?.key).toBe('b');
    expect(luns.findByName('lun_x', (r) => r.svm === 'vs2')?.key).toBe('c');
    expect(luns.findByName('lun_x', (r) => r.svm === 'vs3')).toBeUndefined();
    expect(luns.findByName('lun_missing')).toBeUndefined();
  });

  it('follows a rename (the record added again under its key) and keeps its place', () => {
    const luns = new Collection<Item>('/api/luns');
    const b = luns.add(item(luns, 'b', 'lun_x'));
    luns.add(item(luns, 'c', 'lun_y'));
    luns.add(item(luns, 'd', 'lun_x'));

    luns.add({ ...b, name: 'lun_y' });
    expect(luns.findByName('lun_x')?.key).toBe('d');
    // b was added before c: renamed to c's name, it comes first, as it does in values().
    expect(luns.findByName('lun_y')?.key).toBe('b');
    expect(luns.values().map((r) => r.key)).toEqual(['b', 'c', 'd']);
    expect(luns.get('b')?.name).toBe('lun_y');

    luns.add({ ...b, name: 'lun_x' });
    expect(luns.findByName('lun_x')?.key).toBe('b');
    expect(luns.findByName('lun_y')?.key).toBe('c');
  });

  it('forgets a deleted record, and finds a new one of the same name', () => {
    const luns = new Collection<Item>('/api/luns');
    luns.add(item(luns, 'a', 'lun_x'));
    luns.add(item(luns, 'b', 'lun_x'));
    expect(luns.delete('a')).toBe(true);
    expect(luns.findByName('lun_x')?.key).toBe('b');
    expect(luns.delete('b')).toBe(true);
    expect(luns.delete('b')).toBe(false);
    expect(luns.findByName('lun_x')).toBeUndefined();
    expect(luns.get('b')).toBeUndefined();

    luns.add(item(luns, 'c', 'lun_x'));
    expect(luns.findByName('lun_x')?.key).toBe('c');
    expect(luns.values().map((r) => r.key)).toEqual(['c']);
  });

  it('answers as a scan of every record does, through random adds, renames and deletes', () => {
    const random = createRandom(5, 'collection-test');
    const luns = new Collection<Item>('/api/luns');
    const names = ['n0', 'n1', 'n2', 'n3'];
    const pick = <V>(values: readonly V[]): V => {
      const value = values[random.int(0, values.length - 1)];
      if (value === undefined) throw new Error('nothing to pick');
      return value;
    };
    let checked = 0;
    for (let step = 0; step < 2_000; step++) {
      const key = `k${random.int(0, 40)}`;
      const action = random.int(0, 2);
      // An add of an existing key is a rename (or a move to another SVM) of that record.
      if (action < 2) luns.add(item(luns, key, pick(names), pick(['vs1', 'vs2'])));
      else luns.delete(key);
      for (const name of names) {
        for (const where of [() => true, (r: Item) => r.svm === 'vs2']) {
          expect(luns.findByName(name, where)).toBe(scan(luns, name, where));
          checked++;
        }
      }
    }
    expect(checked).toBe(2_000 * names.length * 2);
  });
});
