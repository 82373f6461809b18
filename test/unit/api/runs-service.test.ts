import assert from 'node:assert/strict';
import { canonicalJson } from '../../../apps/api/src/services/runs-service';

describe('canonicalJson', () => {
  it('gives the same text whatever the key order', () => {
    assert.equal(canonicalJson({ b: 1, a: 2, c: 'x' }), canonicalJson({ c: 'x', a: 2, b: 1 }));
    assert.equal(canonicalJson({ b: 1, a: 2 }), '{"a":2,"b":1}');
  });

  it('sorts the keys of nested objects, including inside arrays', () => {
    const one = { limits: { memoryMb: 256, cpus: 1 }, list: [{ z: 1, y: 2 }], image: 'i' };
    const two = { image: 'i', list: [{ y: 2, z: 1 }], limits: { cpus: 1, memoryMb: 256 } };
    assert.equal(canonicalJson(one), canonicalJson(two));
    assert.equal(canonicalJson(one), '{"image":"i","limits":{"cpus":1,"memoryMb":256},"list":[{"y":2,"z":1}]}');
  });

  it('keeps the order of array elements', () => {
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
    assert.equal(canonicalJson([3, 1, 2]), '[3,1,2]');
  });

  it('drops undefined values, as JSON does', () => {
    assert.equal(canonicalJson({ a: 1, b: undefined }), canonicalJson({ a: 1 }));
    assert.equal(canonicalJson({ limits: { cpus: undefined } }), '{"limits":{}}');
  });

  it('keeps null, and tells it apart from a missing key', () => {
    assert.equal(canonicalJson({ a: null }), '{"a":null}');
    assert.notEqual(canonicalJson({ a: null }), canonicalJson({}));
  });

  it('tells different values apart', () => {
    assert.notEqual(canonicalJson({ name: 'a', limits: {} }), canonicalJson({ name: 'b', limits: {} }));
    assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: '1' }));
  });

  it('escapes keys and strings as JSON', () => {
    const text = canonicalJson({ 'we"ird': 'line\nbreak' });
    assert.equal(text, '{"we\\"ird":"line\\nbreak"}');
    assert.deepEqual(JSON.parse(text), { 'we"ird': 'line\nbreak' });
  });

  it('is parseable JSON equal to its input', () => {
    const value = { image: 'registry.example/team/model:1', name: 'm', limits: { timeoutSeconds: 60, cpus: 0.5 } };
    assert.deepEqual(JSON.parse(canonicalJson(value)), value);
  });
});
