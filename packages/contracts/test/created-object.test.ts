import { describe, expect, it } from 'vitest';
import { createdObjectOf, createdObjectOfIdentity } from '../src/index.js';

describe('createdObjectOf', () => {
  it('names the LUN a create makes, by the end of its path and its SVM', () => {
    expect(
      createdObjectOf({
        method: 'POST',
        path: '/api/v2/storage-provider/luns',
        body: { name: 'lun1', svm: { name: 'vs1' }, space: { size: 1 } },
      }),
    ).toMatchObject({
      kind: 'lun',
      reference: { name: 'lun1', svm: { name: 'vs1' } },
      resultName: 'lunKey',
      nameIsPathEnd: true,
    });
  });

  it('names nothing for a write that is not a create AIQUM answers with a job', () => {
    expect(
      createdObjectOf({ method: 'PATCH', path: '/api/storage-provider/luns', body: { name: 'a' } }),
    ).toBe(undefined);
    expect(createdObjectOf({ method: 'POST', path: '/api/storage-provider/luns', body: {} })).toBe(undefined);
    expect(createdObjectOf({ method: 'POST', path: '/api/admin/users', body: { name: 'a' } })).toBe(
      undefined,
    );
  });
});

describe('createdObjectOfIdentity', () => {
  it('gives back the object of the write an identity was made from, SVM by name or by key', () => {
    for (const svm of [{ name: 'vs1' }, { key: 'svm-key-1' }]) {
      const created = createdObjectOf({
        method: 'POST',
        path: '/api/storage-provider/file-shares',
        body: { name: 'share1', svm, cluster: { name: 'cluster-01' } },
      });
      if (!created) throw new Error('no created object');
      expect(createdObjectOfIdentity(created.identity)).toEqual(created);
    }
  });

  it('gives nothing for a string that is not such an identity', () => {
    for (const identity of ['', 'not json', '["lun"]', '["volume","v1",null,null]', '["lun","",null,null]']) {
      expect(createdObjectOfIdentity(identity), identity).toBeUndefined();
    }
  });
});
